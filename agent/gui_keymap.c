/*
 * The gateway sends PC set-1 scancodes; Xvfb's default keymap (xkb rules
 * evdev) numbers keys as Linux input codes + 8.  For the base set the
 * scancode is the input code; extended (0xe0) keys have their own codes.
 */
#include "gui_agent.h"

#define XKB_OFFSET 8

static const struct {
	uint8_t scancode;  /* after the 0xe0 prefix */
	uint8_t input;     /* Linux input code */
} extended[] = {
	{ 0x1c, 96 },  /* keypad Enter */
	{ 0x1d, 97 },  /* right Ctrl */
	{ 0x35, 98 },  /* keypad / */
	{ 0x37, 99 },  /* Print Screen */
	{ 0x38, 100 }, /* right Alt (AltGr) */
	{ 0x47, 102 }, /* Home */
	{ 0x48, 103 }, /* Up */
	{ 0x49, 104 }, /* Page Up */
	{ 0x4b, 105 }, /* Left */
	{ 0x4d, 106 }, /* Right */
	{ 0x4f, 107 }, /* End */
	{ 0x50, 108 }, /* Down */
	{ 0x51, 109 }, /* Page Down */
	{ 0x52, 110 }, /* Insert */
	{ 0x53, 111 }, /* Delete */
	{ 0x5b, 125 }, /* left Super */
	{ 0x5c, 126 }, /* right Super */
	{ 0x5d, 127 }, /* Menu */
};

uint8_t
keymap_scancode_to_x(uint32_t scancode)
{
	if (scancode >= 0x01 && scancode <= 0x58 && scancode != 0x54 && scancode != 0x55)
		return (uint8_t)(scancode + XKB_OFFSET);
	if ((scancode & 0xff00) == 0xe000)
		for (size_t i = 0; i < sizeof(extended) / sizeof(extended[0]); i++)
			if (extended[i].scancode == (scancode & 0xff))
				return (uint8_t)(extended[i].input + XKB_OFFSET);
	return 0;
}

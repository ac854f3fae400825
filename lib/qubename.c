/* Qube names, apart from the rest of the model so that the static guest
 * agent can check them without libxlutil. */
#include <ctype.h>
#include <stdbool.h>

#include "qube.h"

bool
qube_name_valid(const char *name)
{
	size_t i;

	if (!isalpha((unsigned char)name[0]) || !isascii((unsigned char)name[0]))
		return false;
	for (i = 1; name[i] != '\0'; i++) {
		unsigned char c = (unsigned char)name[i];
		if (i > QUBE_NAME_MAX - 1 || !isascii(c) ||
		    !(isalnum(c) || c == '_' || c == '-'))
			return false;
	}
	return true;
}

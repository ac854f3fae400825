# Bulkhead top-level build. `make` builds everything into build/;
# `make SAN=1` builds with AddressSanitizer + UndefinedBehaviorSanitizer.

CC ?= gcc
PREFIX ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD ?= build
SANFLAGS :=
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS ?= -O2 -g
# libnl's headers live in a subfolder (Debian's path; pkg-config libnl-route-3.0).
NL_CFLAGS := -I/usr/include/libnl3
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(SANFLAGS) -D_GNU_SOURCE -DBULKHEAD_VERSION='"$(VERSION)"' -Ilib $(NL_CFLAGS) -MMD -MP
LDFLAGS_ALL := $(SANFLAGS) $(LDFLAGS)

JSON_LIBS := -ljson-c
XLU_LIBS := -lxlutil -lxenlight -lxenvchan -lxentoollog
CMOCKA_LIBS := -lcmocka
NL_LIBS := -lnl-route-3 -lnl-3
IPTC_LIBS := -lip4tc -lip6tc
BACKUP_LIBS := -lsodium -lzstd
USB_CFLAGS := $(shell pkg-config --cflags libusb-1.0 2>/dev/null)
USB_LIBS := $(shell pkg-config --libs libusb-1.0 2>/dev/null)
UMOCKDEV_CFLAGS = $(shell pkg-config --cflags umockdev-1.0 2>/dev/null)
UMOCKDEV_LIBS = $(shell pkg-config --libs umockdev-1.0 2>/dev/null)
SPICE_CFLAGS = $(shell pkg-config --cflags spice-server)
SPICE_LIBS = $(shell pkg-config --libs spice-server) -lpthread
SPICE_CLIENT_CFLAGS = $(shell pkg-config --cflags spice-client-glib-2.0)
SPICE_CLIENT_LIBS = $(shell pkg-config --libs spice-client-glib-2.0)

LIB_SRCS := $(wildcard lib/*.c)
# domd in layers (README, Layout): core in domd/, the RPC broker in rpc/, the
# admin API in api/, the backends under backend/; `make lint-layers` checks
# that calls go down.
DOMD_DIRS := domd domd/rpc domd/api domd/backend domd/backend/ns domd/backend/xen
DOMD_SRCS := $(foreach d,$(DOMD_DIRS),$(wildcard $(d)/*.c))
DOMD_INC := $(addprefix -I,$(DOMD_DIRS))
CONSOLE_SRCS := $(wildcard console/*.c)
# agent/gui_*.c are the GUI agent, a separate program (it needs xcb).
AGENT_SRCS := $(filter-out agent/gui_%.c,$(wildcard agent/*.c))
GUI_AGENT_SRCS := $(wildcard agent/gui_*.c)
NETFW_SRCS := $(wildcard netvm-firewall/*.c)
USBPROXY_SRCS := $(wildcard usbproxy/*.c)
UPDPROXY_SRCS := $(wildcard updates-proxy/*.c)
GUARD_SRCS := $(wildcard guard/*.c)
GW_SRCS := $(wildcard spice-gateway/*.c)

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
DOMD_OBJS := $(DOMD_SRCS:%.c=$(BUILD)/%.o)
CONSOLE_OBJS := $(CONSOLE_SRCS:%.c=$(BUILD)/%.o)
NETFW_OBJS := $(NETFW_SRCS:%.c=$(BUILD)/%.o)
USBPROXY_OBJS := $(USBPROXY_SRCS:%.c=$(BUILD)/%.o)
UPDPROXY_OBJS := $(UPDPROXY_SRCS:%.c=$(BUILD)/%.o)
GUARD_OBJS := $(GUARD_SRCS:%.c=$(BUILD)/%.o)
GW_OBJS := $(GW_SRCS:%.c=$(BUILD)/%.o)
GUI_AGENT_OBJS := $(GUI_AGENT_SRCS:%.c=$(BUILD)/%.o)

LIBBULKHEAD := $(BUILD)/libbulkhead.a
DOMD := $(BUILD)/bulkhead-domd
CLI := $(BUILD)/bulkhead
NETFW := $(BUILD)/bulkhead-firewall
USBPROXY := $(BUILD)/bulkhead-usbproxy
UPDPROXY := $(BUILD)/bulkhead-updates-proxy
GUARD := $(BUILD)/bulkhead-guard
GATEWAY := $(BUILD)/bulkhead-gateway
GUI_AGENT := $(BUILD)/bulkhead-gui-agent
# The agent is PID 1 of template roots that carry no libc: always static and
# never sanitised (the sanitiser runtimes need a dynamic loader).
AGENT := build/bulkhead-agent

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)
# The USB test rig: a fake device (umockdev), a USB/IP peer, a direct-libusb
# baseline for the bench. The fake device is test hardware, never sanitised
# (GLib's lifetime allocations would drown LeakSanitizer).
USB_TEST_BINS := $(BUILD)/tests/usb-fakedev $(BUILD)/tests/usbip-peer $(BUILD)/tests/usb-direct

TEMPLATE := build/template/root

.PHONY: all deps lint-layers run check check-unit check-integration check-fuzz check-xen fuzz bench template debian-template install clean san unit-bins gui-bins fuzz-bins usb-test-bins appliance boot

XEN_BLOCK := $(BUILD)/bulkhead-xen-block

all: $(DOMD) $(GUARD) $(CLI) $(AGENT) $(NETFW) $(USBPROXY) $(UPDPROXY) $(GATEWAY) $(GUI_AGENT) $(XEN_BLOCK)

deps:
	@scripts/install-deps

# domd's layers call down only (scripts/lint-layers says what it checks).
lint-layers:
	@scripts/lint-layers

# V=1 shows the full commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBBULKHEAD): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(DOMD_OBJS): ALL_CFLAGS += $(DOMD_INC)
$(DOMD): $(DOMD_OBJS) $(LIBBULKHEAD)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) $(JSON_LIBS) $(XLU_LIBS) $(NL_LIBS) $(IPTC_LIBS) -lseccomp

# Each running qube's guard: reads its control socket for domd, unprivileged.
# Static (but for the sanitisers, which need the loader): one starts with
# every qube, and the loader's work was a third of its start.
GUARD_STATIC := $(if $(SANFLAGS),,-static)
$(GUARD): $(GUARD_OBJS) $(LIBBULKHEAD)
	$(CC) $(GUARD_STATIC) -o $@ $^ $(LDFLAGS_ALL) -lseccomp

# libxl's hotplug script for the qubes' disk images (xen backend).
$(XEN_BLOCK): domd/backend/xen/xen-block/main.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDFLAGS_ALL) -lxenstore

# Runs in netvms; the template carries it with the libraries it needs.
$(NETFW): $(NETFW_OBJS) $(LIBBULKHEAD)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) $(NL_LIBS) $(IPTC_LIBS)

# The SPICE gateway (sys-gui) and its test peers.
$(BUILD)/spice-gateway/%.o: spice-gateway/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SPICE_CFLAGS) -c -o $@ $<

$(GATEWAY): $(GW_OBJS) $(LIBBULKHEAD)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) $(SPICE_LIBS)

# The GUI agent lives in X-capable templates (their xcb libraries), not in
# the minimal one.
XCB_LIBS := -lxcb -lxcb-damage -lxcb-xfixes -lxcb-xtest
$(GUI_AGENT): $(GUI_AGENT_OBJS) $(BUILD)/lib/log.o $(BUILD)/lib/xalloc.o $(BUILD)/lib/gui_gw_wire.o $(BUILD)/lib/gui_wire.o
	$(CC) -o $@ $^ $(LDFLAGS_ALL) $(XCB_LIBS)

GUI_TEST_BINS := $(BUILD)/tests/gui/fake_vm $(BUILD)/tests/gui/spice_probe $(BUILD)/tests/gui/x_pattern_app

# An X app with known pixels that logs the input it gets (gui-agent.t).
$(BUILD)/tests/gui/x_pattern_app: tests/gui/x_pattern_app.c tests/gui/pattern.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDFLAGS_ALL) -lxcb

$(BUILD)/tests/gui/fake_vm: tests/gui/fake_vm.c tests/gui/pattern.h $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBBULKHEAD) $(LDFLAGS_ALL)

# The probe reads title bars with the gateway's own font.
$(BUILD)/tests/gui/spice_probe: tests/gui/spice_probe.c tests/gui/pattern.h spice-gateway/font.c spice-gateway/font.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SPICE_CLIENT_CFLAGS) -Ispice-gateway -o $@ $< spice-gateway/font.c $(LDFLAGS_ALL) $(SPICE_CLIENT_LIBS)

$(CLI): $(CONSOLE_OBJS) $(LIBBULKHEAD)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) $(JSON_LIBS) $(XLU_LIBS) $(BACKUP_LIBS) -lncursesw

$(USBPROXY_OBJS): ALL_CFLAGS += $(USB_CFLAGS)

$(USBPROXY): $(USBPROXY_OBJS) $(LIBBULKHEAD)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) $(USB_LIBS)

$(UPDPROXY): $(UPDPROXY_OBJS) $(LIBBULKHEAD)
	$(CC) -o $@ $^ $(LDFLAGS_ALL)

$(BUILD)/tests/usb-fakedev: tests/usb/fakedev.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -Wno-strict-prototypes $(CFLAGS) -D_GNU_SOURCE $(UMOCKDEV_CFLAGS) -o $@ $< $(UMOCKDEV_LIBS)

$(BUILD)/tests/usbip-peer: tests/usb/usbip_peer.c tests/usb/usbtest.h $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBBULKHEAD) $(LDFLAGS_ALL)

$(BUILD)/tests/usb-direct: tests/usb/usb_direct.c tests/usb/usbtest.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(USB_CFLAGS) -o $@ $< $(LDFLAGS_ALL) $(USB_LIBS)

# The parts of libbulkhead the agent uses (no libxlutil or json-c in a guest).
AGENT_LIB_SRCS := lib/log.c lib/fdio.c lib/fdpass.c lib/qubename.c lib/rpc_wire.c lib/rpc_relay.c lib/chan.c lib/xen_relay_frame.c $(wildcard lib/filecopy*.c)

$(AGENT): $(AGENT_SRCS) $(AGENT_LIB_SRCS) $(wildcard agent/*.h lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -DBULKHEAD_VERSION='"$(VERSION)"' -Ilib -static -o $@ $(AGENT_SRCS) $(AGENT_LIB_SRCS) $(XEN_STATIC_LIBS)

# Attacks from inside a qube (isolation.t); static, to run in any template.
ISOLATION_PROBE := build/tests/isolation-probe
$(ISOLATION_PROBE): tests/integration/isolation_probe.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -static -o $@ $<

template: $(TEMPLATE)/.stamp

# tinyproxy (Debian's tinyproxy-bin) serves bulkhead.UpdatesProxy in netvms.
TEMPLATE_PROGRAMS := build/bulkhead-firewall build/bulkhead-usbproxy build/bulkhead-updates-proxy \
	/usr/bin/tinyproxy
$(TEMPLATE)/.stamp: $(AGENT) $(TEMPLATE_PROGRAMS) appliance-image/build-template appliance-image/template-lib.sh /bin/busybox
	appliance-image/build-template $(TEMPLATE) $(AGENT) $(TEMPLATE_PROGRAMS)

# The X-capable template (Debian with Xvfb and the GUI agent): debootstrap
# once into build/debian/base, reused after. Without the archive it leaves
# build/debian/unreachable (exit 75), which gui-agent.t reports as a skip.
DEBIAN_TEMPLATE := build/debian/root
debian-template:
ifeq ($(SAN),1)
	$(error the Debian template carries the normal build: run make debian-template without SAN=1)
endif
	$(MAKE) $(AGENT) build/bulkhead-gui-agent $(TEMPLATE_PROGRAMS) $(CLI)
	$(MAKE) $(DEBIAN_TEMPLATE)/.stamp

# The Debian template also carries the CLI and console for management qubes
# (it links libxlutil, and with it Xen's libraries: too big for the minimal).
$(DEBIAN_TEMPLATE)/.stamp: $(AGENT) build/bulkhead-gui-agent $(TEMPLATE_PROGRAMS) $(CLI) \
		appliance-image/build-debian-template appliance-image/template-lib.sh
	appliance-image/build-debian-template $(DEBIAN_TEMPLATE) $(AGENT) build/bulkhead-gui-agent \
		$(TEMPLATE_PROGRAMS) $(CLI) || [ $$? -eq 75 ]

# A hostile peer for tests/integration/limits.t, run in qubes too: static
# and never sanitised, as the agent.
CONNFLOOD := build/tests/connflood
$(CONNFLOOD): tests/integration/connflood.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -static -o $@ $<

# admin-rpc.t's hostile caller of the admin API, run in a qube: static too.
ADMIN_JUNK := build/tests/admin-junk
$(ADMIN_JUNK): tests/integration/admin_junk.c lib/rpc_proto.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -static -o $@ $<

# backup.t's hostile writer: a crafted archive encrypted with the right key.
BACKUP_FORGE := $(BUILD)/tests/backup-forge
$(BACKUP_FORGE): tests/integration/backup_forge.c $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBBULKHEAD) $(LDFLAGS_ALL) $(BACKUP_LIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBBULKHEAD) $(LDFLAGS_ALL) $(CMOCKA_LIBS) $(JSON_LIBS) $(XLU_LIBS) $(BACKUP_LIBS)

# The console table's figures: console/tui_fmt.c alone.
$(BUILD)/tests/test_tui_fmt: tests/unit/test_tui_fmt.c $(BUILD)/console/tui_fmt.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iconsole -o $@ $< $(BUILD)/console/tui_fmt.o $(LDFLAGS_ALL) $(CMOCKA_LIBS)

$(BUILD)/tests/test_confine: tests/unit/test_confine.c $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBBULKHEAD) $(LDFLAGS_ALL) $(CMOCKA_LIBS) -lseccomp

# The xen backend's disk images: domd's code with the real mke2fs.
XEN_DISKS_OBJS := $(addprefix $(BUILD)/domd/backend/,xen/xen_disks.o disk_image.o loopdev.o)
$(BUILD)/tests/test_xen_disks: tests/unit/test_xen_disks.c $(XEN_DISKS_OBJS) $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DOMD_INC) -o $@ $< $(XEN_DISKS_OBJS) $(LIBBULKHEAD) $(LDFLAGS_ALL) $(CMOCKA_LIBS)

# The device cgroup's rules and v2 program: domd's code on a real cgroup2.
$(BUILD)/tests/test_devcg: tests/unit/test_devcg.c $(BUILD)/domd/backend/ns/ns_devcg.o $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DOMD_INC) -o $@ $< $(BUILD)/domd/backend/ns/ns_devcg.o $(LIBBULKHEAD) $(LDFLAGS_ALL) $(CMOCKA_LIBS)

# The packet filter's test needs its code and libiptc.
$(BUILD)/tests/test_fw_iptc: tests/unit/test_fw_iptc.c $(BUILD)/netvm-firewall/fw_iptc.o $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Inetvm-firewall -o $@ $< $(BUILD)/netvm-firewall/fw_iptc.o $(LIBBULKHEAD) $(LDFLAGS_ALL) $(CMOCKA_LIBS) $(IPTC_LIBS)

# The GUI agent's pure parts (its keymap and UTF-8 cut); no X needed.
$(BUILD)/tests/test_gui_agent: tests/unit/test_gui_agent.c $(BUILD)/agent/gui_keymap.o $(BUILD)/agent/gui_utf8.o $(LIBBULKHEAD)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iagent -o $@ $< $(BUILD)/agent/gui_keymap.o $(BUILD)/agent/gui_utf8.o $(LIBBULKHEAD) $(LDFLAGS_ALL) $(CMOCKA_LIBS)

# libFuzzer harnesses: clang only, always with ASan+UBSan.
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -Ilib $(NL_CFLAGS) -fsanitize=fuzzer,address,undefined
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRCS)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRCS) $(JSON_LIBS) $(XLU_LIBS) $(NL_LIBS) $(BACKUP_LIBS) -lseccomp

# The Xen appliance (appliance-image/): Debian's Xen, kernel and busybox,
# downloaded once into build/appliance, with Bulkhead's normal (unsanitised)
# programs.  `make boot` boots it in QEMU on this terminal.
APPLIANCE := build/appliance
APPLIANCE_IMG := $(APPLIANCE)/image
CHAN_PEER := build/tests-xen/chan_peer
XEN_STATIC_LIBS := -lxenvchan -lxenstore -lxengnttab -lxenevtchn -lxentoolcore -lxentoollog -lpthread

# Static, so that the guest needs no libc; dom0 runs the same binary.
$(CHAN_PEER): tests/xen/chan_peer.c lib/chan.c lib/chan.h lib/fdio.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -Ilib -static -o $@ tests/xen/chan_peer.c lib/chan.c lib/fdio.c $(XEN_STATIC_LIBS)

appliance:
ifeq ($(SAN),1)
	$(error the appliance carries the normal build: run make appliance without SAN=1)
endif
	$(MAKE) all template $(CHAN_PEER)
	appliance-image/fetch-debs $(APPLIANCE)
	$(MAKE) $(APPLIANCE_IMG)/SHA256SUMS

$(APPLIANCE_IMG)/SHA256SUMS: build/bulkhead-domd build/bulkhead-guard build/bulkhead build/bulkhead-xen-block $(AGENT) $(CHAN_PEER) \
		$(TEMPLATE)/.stamp \
		$(APPLIANCE)/kernel-package $(wildcard appliance-image/*) tests/xen/dom0-tests.sh \
		tests/xen/dom0-bench.sh
	appliance-image/build-xen-image $(APPLIANCE_IMG) $(APPLIANCE) build

boot: appliance
	appliance-image/run-qemu $(APPLIANCE_IMG)

# Boots the appliance in test mode: the suite runs inside dom0 on real Xen.
check-xen: deps
	$(MAKE) appliance
	prove -v tests/xen/run-xen.t
# The vdagent reassembly lives in the gateway.
build-fuzz/fuzz_vdagent: tests/fuzz/fuzz_vdagent.c spice-gateway/vdagent.c spice-gateway/vdagent.h
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -Ispice-gateway -o $@ $< spice-gateway/vdagent.c

run: deps all template debian-template
	scripts/run-appliance

# `make check`: deps, a normal and a sanitised build and the Xen appliance,
# then every test with prove (tests/xen/run-xen.t boots the appliance).
check: deps lint-layers
	$(MAKE) all template debian-template appliance $(ISOLATION_PROBE)
	$(MAKE) SAN=1 all unit-bins usb-test-bins gui-bins
	$(MAKE) fuzz-bins
	BUILD=build-san prove -v tests/run-unit.t tests/fuzz/run-fuzz.t tests/integration/*.t tests/xen/run-xen.t

unit-bins: $(UNIT_BINS) $(CONNFLOOD) $(ADMIN_JUNK) $(BACKUP_FORGE)
usb-test-bins: $(USB_TEST_BINS)
gui-bins: $(GUI_TEST_BINS)
fuzz-bins: $(FUZZ_BINS)

# Longer fuzzing runs (FUZZ_SECONDS each).
fuzz: fuzz-bins
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} tests/fuzz/run-fuzz.t

bench: all template usb-test-bins gui-bins
	@for b in tests/bench/*.sh; do echo "== $$b"; $$b || exit 1; done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/lib/bulkhead $(DESTDIR)/lib/systemd/system
	install -m 0755 $(CLI) $(DESTDIR)$(PREFIX)/bin/bulkhead
	install -m 0755 $(DOMD) $(DESTDIR)$(PREFIX)/sbin/bulkhead-domd
	install -m 0755 $(XEN_BLOCK) $(DESTDIR)$(PREFIX)/lib/bulkhead/bulkhead-xen-block
	install -m 0755 $(GUARD) $(DESTDIR)$(PREFIX)/lib/bulkhead/bulkhead-guard
	install -m 0755 $(USBPROXY) $(DESTDIR)$(PREFIX)/lib/bulkhead/bulkhead-usbproxy
	install -m 0755 $(AGENT) $(DESTDIR)$(PREFIX)/lib/bulkhead/bulkhead-agent
	install -m 0755 $(NETFW) $(DESTDIR)$(PREFIX)/lib/bulkhead/bulkhead-firewall
	install -m 0755 $(GATEWAY) $(DESTDIR)$(PREFIX)/lib/bulkhead/bulkhead-gateway
	install -m 0644 man/bulkhead.1 $(DESTDIR)$(PREFIX)/share/man/man1/bulkhead.1
	install -m 0644 man/bulkhead-rpc.1 $(DESTDIR)$(PREFIX)/share/man/man1/bulkhead-rpc.1
	install -m 0644 man/bulkhead-policy.5 $(DESTDIR)$(PREFIX)/share/man/man5/bulkhead-policy.5
	install -m 0644 man/bulkhead-domd.8 $(DESTDIR)$(PREFIX)/share/man/man8/bulkhead-domd.8
	install -m 0644 man/bulkhead-usbproxy.8 $(DESTDIR)$(PREFIX)/share/man/man8/bulkhead-usbproxy.8
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' dist/bulkhead-domd.service.in > $(DESTDIR)/lib/systemd/system/bulkhead-domd.service
	chmod 0644 $(DESTDIR)/lib/systemd/system/bulkhead-domd.service

clean:
	rm -rf build build-san build-fuzz

# (build/appliance and build/debian hold unpacked packages, whose folders may end in .d.)
-include $(shell find build build-san -path build/appliance -prune -o -path build/debian -prune -o -type f -name '*.d' -print 2>/dev/null)

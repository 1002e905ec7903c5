# The prefork HTTP supervisor.  `make` builds supervisor/supervisor and
# worker/worker; `make check` runs every test; `make run` starts it.
#
# worker/lib/ holds what both programs link (the log, the clock, signal
# names, flag values, listening sockets, sd_notify, descriptors): each
# helper has one home, beside the worker, which is the program that also
# runs alone.

CC       ?= cc
CFLAGS   ?= -O2 -g
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
# The supervisor looks for its worker at ../libexec/prefork-supervisor/
# from its own directory: keep BINDIR and LIBEXECDIR under one PREFIX.
LIBEXECDIR ?= $(PREFIX)/libexec/prefork-supervisor
MANDIR   ?= $(PREFIX)/share/man
UNITDIR  ?= $(PREFIX)/lib/systemd/system
UNIT     := prefork-supervisor.service
VERSION  := 0.1.0

WARN     := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
            -Wstrict-prototypes -Wmissing-prototypes -Wvla
ALL_CFLAGS := $(WARN) -D_GNU_SOURCE -DVERSION='"$(VERSION)"' $(CFLAGS)
# The worker links libc statically: a dynamic libc alone puts ~1.5 MiB of
# shared pages in its VmRSS.  The sanitizers and valgrind's leak check need
# it dynamic.  The supervisor stays dynamic: --user needs NSS (getpwnam).
STATIC   ?= $(if $(filter 1,$(SANITIZE)),0,1)
WORKER_LDFLAGS := $(if $(filter 1,$(STATIC)),-static)

ifeq ($(SANITIZE),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
LDFLAGS    += -fsanitize=address,undefined
endif

B := build
SHARED  := $(wildcard worker/lib/*.c)
SUP_SRC := $(wildcard supervisor/*.c) $(SHARED)
WRK_SRC := $(wildcard worker/*.c) $(SHARED)
LIB_SRC := $(filter-out worker/main.c,$(WRK_SRC)) \
           $(filter-out supervisor/main.c,$(wildcard supervisor/*.c))
UNIT_SRC := $(wildcard tests/unit/*.c)

obj = $(patsubst %.c,$(B)/%.o,$(1))

# Rebuild everything when the flags change (say SANITIZE=1 after a plain
# build): the stamp file holds the flags of the last build.
FLAGS_NOW := $(CC) $(ALL_CFLAGS) $(LDFLAGS) $(WORKER_LDFLAGS)
$(shell mkdir -p $(B); [ "$$(cat $(B)/flags 2>/dev/null)" = '$(FLAGS_NOW)' ] || \
        printf '%s' '$(FLAGS_NOW)' > $(B)/flags)

.PHONY: all run check check-unit check-bats check-shape check-systemd \
        check-valgrind test-tools bench fuzz install uninstall clean

all: supervisor/supervisor worker/worker

$(B)/%.o: %.c $(B)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

supervisor/supervisor: $(call obj,$(SUP_SRC))
	$(CC) $(LDFLAGS) -o $@ $^

worker/worker: $(call obj,$(WRK_SRC))
	$(CC) $(LDFLAGS) $(WORKER_LDFLAGS) -o $@ $^

# An archive: each test links only the modules it uses.
$(B)/libunit.a: $(call obj,$(LIB_SRC))
	rm -f $@
	$(AR) rcs $@ $^

tests/unit/%.bin: $(B)/tests/unit/%.o $(B)/libunit.a
	$(CC) $(LDFLAGS) -o $@ $^

UNIT_BINS := $(patsubst %.c,%.bin,$(UNIT_SRC))

run: all
	./supervisor/supervisor

check: check-unit check-shape check-bats

check-unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; ./$$t; done

# Tests that inject a failure with LD_PRELOAD (tests/inject.c) need a
# worker that loads it: the installed one is static.
$(B)/worker-dynamic: $(call obj,$(WRK_SRC))
	$(CC) $(LDFLAGS) -o $@ $^

$(B)/inject.so: tests/inject.c
	$(CC) -shared -fPIC -O1 -Wall -Wextra -Werror -o $@ $< -ldl

# The programs the tests drive (clients, a notifier, a wrapper that
# ignores signals), one per tests/*.c; tests/helpers.bash names them.
# They are instruments, not the code under test: never sanitized.
TOOLS := $(addprefix $(B)/tests/,rawhttp loadclient holder notifier sigign \
                                 holdconns lifecycle)

$(TOOLS): $(B)/tests/%: tests/%.c $(B)/flags
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) -o $@ $<

# Everything the bats files need beside `all`: make all test-tools, then
# one file runs alone (bats tests/worker.bats).
test-tools: $(TOOLS) $(B)/worker-dynamic $(B)/inject.so

check-bats: all test-tools
	bats --timing tests/

# Include circles between modules, and .c files over 700 lines.
check-shape:
	tests/shape.sh . 700

# Scenarios 9 and 10 run the load client inside the container.
check-systemd: all $(B)/tests/loadclient
	tests/systemd.sh

check-valgrind: $(TOOLS)
	$(MAKE) STATIC=0 all
	VALGRIND=1 bats tests/worker.bats

# bench.sh writes bench-results.md; each tests/bench-*.sh appends its rows.
bench: all $(TOOLS)
	tests/bench.sh
	for b in tests/bench-*.sh; do [ ! -e "$$b" ] || "$$b" || exit; done

FUZZ_SECONDS ?= 60
fuzz:
	tests/fuzz/run.sh $(FUZZ_SECONDS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 755 supervisor/supervisor $(DESTDIR)$(BINDIR)/
	install -m 755 worker/worker $(DESTDIR)$(LIBEXECDIR)/
	install -m 644 man/supervisor.8 man/worker.8 $(DESTDIR)$(MANDIR)/man8/
	sed '/^Exec/s|@BINDIR@|$(BINDIR)|' supervisor/$(UNIT) \
	    > $(DESTDIR)$(UNITDIR)/$(UNIT)
	chmod 644 $(DESTDIR)$(UNITDIR)/$(UNIT)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/supervisor $(DESTDIR)$(LIBEXECDIR)/worker \
	      $(DESTDIR)$(MANDIR)/man8/supervisor.8 $(DESTDIR)$(MANDIR)/man8/worker.8 \
	      $(DESTDIR)$(UNITDIR)/$(UNIT)
	-rmdir $(DESTDIR)$(LIBEXECDIR)

clean:
	rm -rf $(B) supervisor/supervisor worker/worker tests/unit/*.bin

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# src/shared/frontend.mk: how frontend programs (pghactl, the unit tests)
# build against src/shared: they link its library, libpgha_shared.a.
# The including Makefile sets PROGRAM, OBJS and PGHA_SRC (the src/ directory).

PG_CONFIG ?= pg_config
SHARED_LIB = $(PGHA_SRC)/shared/libpgha_shared.a
PG_CPPFLAGS += -DFRONTEND -I$(PGHA_SRC) -I$(shell $(PG_CONFIG) --includedir) $(shell pkg-config --cflags libcurl jansson 2>/dev/null)
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers
PG_LIBS_INTERNAL = $(SHARED_LIB) $(libpq_pgport)
PG_LIBS = $(shell pkg-config --libs libcurl jansson 2>/dev/null || echo -lcurl -ljansson)

override with_llvm = no
override autodepend = yes

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Makefile.global's LIBS names every library the server was built with
# (pam, gssapi, ...), which a frontend program does not need.
LIBS = -lm

$(PROGRAM): $(SHARED_LIB)
$(SHARED_LIB): FORCE
	$(MAKE) -C $(PGHA_SRC)/shared PG_CONFIG=$(PG_CONFIG)
FORCE:

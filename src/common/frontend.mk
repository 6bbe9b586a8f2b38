# src/common/frontend.mk: how frontend programs (pghactl, the unit tests)
# build the shared src/common sources with -DFRONTEND and link them.
# The including Makefile sets PROGRAM, OBJS and PGHA_SRC (the src/ directory).

vpath %.c $(PGHA_SRC)/common

PG_CONFIG ?= pg_config
PG_CPPFLAGS += -DFRONTEND -I$(PGHA_SRC) -I$(shell $(PG_CONFIG) --includedir) $(shell pkg-config --cflags libcurl jansson 2>/dev/null)
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers
PG_LIBS_INTERNAL = $(libpq_pgport)
PG_LIBS = $(shell pkg-config --libs libcurl jansson 2>/dev/null || echo -lcurl -ljansson)

override with_llvm = no
override autodepend = yes

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Makefile.global's LIBS names every library the server was built with
# (pam, gssapi, ...), which a frontend program does not need.
LIBS = -lm

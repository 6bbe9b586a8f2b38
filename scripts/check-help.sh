#!/usr/bin/env bash
# check-help.sh: pghactl's --help and each "pghactl COMMAND --help" say what
# docs/pghactl.md says, and its manual page builds from that file:
#  - the usage lines of --help are the synopsis block of docs/pghactl.md;
#  - the commands of --help are the rows of its command table, in order,
#    with the same synopsis, and each row's description starts with the
#    summary --help gives;
#  - "pghactl COMMAND --help" shows the same forms and summaries, and
#    describes exactly the options its forms name;
#  - scripts/md2man.pl turns the page into a manual page groff has no
#    warning about.
# Needs no server.  Prints one line per problem; exit status 1 if any.
#
#   bash scripts/check-help.sh [PGHACTL]     (default src/bin/pghactl/pghactl)
set -euo pipefail
cd "$(dirname "$0")/.."
pghactl=${1:-src/bin/pghactl/pghactl}
if [ ! -x "$pghactl" ]; then
	echo "check-help.sh: $pghactl is not built" >&2
	exit 1
fi

status=0
python3 - "$pghactl" <<'EOP' || status=1
import re, subprocess, sys

pghactl = sys.argv[1]
problems = []

def helptext(*args):
    r = subprocess.run([pghactl, *args, "--help"], capture_output=True, text=True)
    if r.returncode != 0:
        problems.append("pghactl %s --help exits %d" % (" ".join(args), r.returncode))
    return r.stdout.splitlines()

def unmark(s):
    """markdown to the plain text --help prints"""
    s = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", s)
    return s.replace("`", "").replace("\\|", "|")

# the synopsis block and the command table of docs/pghactl.md
doc = open("docs/pghactl.md").read()
m = re.search(r"\n```\n(pghactl .*?)\n```\n", doc, re.S)
doc_usage = m.group(1).splitlines() if m else []
rows = []
table = doc[doc.index("| command | what it does |"):].split("\n\n")[0].splitlines()[2:]
for row in table:
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
    rows.append((unmark(cells[0]), unmark(cells[1])))

# --help: "  SYNOPSIS   SUMMARY", or SYNOPSIS on lines of its own (continued
# with a deeper indent) and the summary below it, under group headings
top = helptext()
usage, entries, i = [], [], 0
while i < len(top) and top[i] != "Usage:":
    i += 1
i += 1
while i < len(top) and top[i].startswith("  "):
    usage.append(top[i].strip())
    i += 1
for line in top[i:]:
    if line.startswith(" " * 22):
        entries[-1][1] = line.strip()
    elif line.startswith(" " * 6):
        entries[-1][0] += " " + line.strip()
    elif line.startswith("  ") and line[2] != " ":
        if len(line) > 22 and line[20:22] == "  " and line[22] != " ":
            entries.append([line[2:22].strip(), line[22:]])
        else:
            entries.append([line[2:], None])
entries = [tuple(e) for e in entries]

if usage != doc_usage:
    problems.append("pghactl --help usage %s, docs/pghactl.md %s" % (usage, doc_usage))
helps, docs = [e[0] for e in entries], [r[0] for r in rows]
if helps != docs:
    problems.append("commands differ: only in --help %s, only in docs %s%s" %
                    ([h for h in helps if h not in docs], [d for d in docs if d not in helps],
                     "" if sorted(helps) != sorted(docs) else " (the order)"))
for (syn, summary), (dsyn, ddesc) in zip(entries, rows):
    if syn == dsyn and not ddesc.startswith(summary or "?"):
        problems.append("%s: docs say \"%s\", --help \"%s\"" % (syn, ddesc, summary))

# pghactl COMMAND --help: the same forms and summaries; the options they name
names = []
for syn, _ in entries:
    if syn.split()[0] not in names:
        names.append(syn.split()[0])
for name in names:
    lines = helptext(name)
    forms, described, section = [], set(), None
    for line in lines:
        if line in ("Usage:", "Options:"):
            section = line
        elif not line:
            section = None
        elif section == "Usage:" and line.startswith("  pghactl "):
            forms.append([line[len("  pghactl "):], None])
        elif section == "Usage:" and line.startswith(" " * 10):
            forms[-1][0] += " " + line.strip()
        elif section == "Usage:" and line.startswith(" " * 6):
            forms[-1][1] = line.strip()
        elif section == "Options:":
            # "  -c, --config=FILE   text": the options before the text
            described.update(re.findall(r"--?[A-Za-z][-a-z]*", re.split(r"\s{2,}", line.strip())[0]))
    takes_conf = all(f[0].endswith(" -c FILE") for f in forms)
    forms = [(f[0].removesuffix(" -c FILE"), f[1]) for f in forms]
    want = [e for e in entries if e[0].split()[0] == name]
    if forms != want:
        problems.append("pghactl %s --help shows %s, pghactl --help %s" % (name, forms, want))
    named = {"-h", "--help"} | ({"-c", "--config"} if takes_conf else set())
    for syn, _ in want:
        named.update(re.findall(r"(?:^|(?<=[\s\[]))--?[A-Za-z][-a-z]*", syn))
    # an option with a short form may be named by either
    for line in lines:
        mm = re.match(r"\s+(-\w), (--[-a-z]+)", line)
        if mm and named & {mm.group(1), mm.group(2)}:
            named.update({mm.group(1), mm.group(2)})
    if named != described:
        problems.append("pghactl %s --help: options named %s, described %s" %
                        (name, sorted(named), sorted(described)))

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
EOP

# the manual page: groff warns about what it cannot typeset
version=$(sed -n 's/^#define PGHA_VERSION "\(.*\)"/\1/p' src/pgha.h)
warnings=$(perl scripts/md2man.pl "$version" < docs/pghactl.md | LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l - 2>&1 >/dev/null || echo "man failed")
if [ -n "$warnings" ]; then
	echo "pghactl.1 from docs/pghactl.md: $warnings"
	status=1
fi
exit $status

#!/usr/bin/python3
"""redis-warden's command tree read from the binary's own --help (CLI11's format), and the
bash completion generated from it at build time, so completion never lists a subcommand or
flag the binary does not have, nor misses one it has.

    generate.py BINARY          print the bash completion script
    generate.py --json BINARY   print the command tree as JSON (tests/check_cli_docs.py):
                                {"config check": {"subcommands": [], "flags": ["-h", ...],
                                 "values": {"--format": "text json nagios", ...},
                                 "positionals": {"FILE": "@file"}}, ...}

The help a CLI11 App prints: "Options:", "Positionals:" and "Subcommands:" headings at
column 0, entries indented by two spaces, the name column separated from the description
by at least two spaces (or the description on the next, deeper indented line):

      --format TEXT:{text,json,nagios}
                                  text, json or nagios
      --seed HOST:PORT ...        HOST:PORT of any cluster node (repeatable)
      --to TEXT Needs: --master   with --master: the replica that takes over
      check                       report whether the cluster survives its next failure
"""
import json
import re
import subprocess
import sys

# CLI11's annotations after an option's type, not values of it.
ANNOTATIONS = ("REQUIRED", "Needs:", "Excludes:", "Env:")
ENTRY = re.compile(r"^  (\S.*?)(?:\s{2,}\S.*)?$")


def help_text(binary, path):
    done = subprocess.run([binary, *path, "--help"], capture_output=True, text=True, check=True)
    return done.stdout


def value_spec(names, tokens):
    """What a flag's or positional's value completes to: choices, @file, @dir or @any."""
    kind = tokens[0]
    choices = re.search(r"\{([^}]*)\}", kind)
    if choices:
        return " ".join(choices.group(1).split(","))
    long_name = names[-1].lstrip("-").lower()
    if kind == "DIR" or long_name.endswith("dir"):
        return "@dir"
    if kind == "FILE" or re.search(r"file|config|checkpoint", long_name):
        return "@file"
    return "@any"


def parse_help(text):
    """-> {"subcommands": [...], "flags": [...], "values": {flag: spec}, "positionals": {}}"""
    node = {"subcommands": [], "flags": [], "values": {}, "positionals": {}}
    section = None
    for line in text.splitlines():
        if re.match(r"^\S.*:$", line):
            section = line[:-1]
            continue
        match = ENTRY.match(line)
        if not match or section is None:
            continue
        head = match.group(1).split()
        if section == "Subcommands":
            node["subcommands"].append(head[0])
            continue
        tokens = []
        for token in head[1:]:
            if token in ANNOTATIONS:
                break
            tokens.append(token)
        if section == "Options":
            names = head[0].split(",")
            node["flags"].extend(names)
            if tokens:
                spec = value_spec(names, tokens)
                if "..." in tokens:
                    spec += " ..."
                for name in names:
                    node["values"][name] = spec
        elif section == "Positionals":
            node["positionals"][head[0]] = value_spec([head[0]], tokens or ["TEXT"])
    return node


def command_tree(binary):
    """Every command path ("" for the top level, "config check") -> its parsed help."""
    tree = {}
    pending = [[]]
    while pending:
        path = pending.pop(0)
        node = parse_help(help_text(binary, path))
        tree[" ".join(path)] = node
        pending.extend(path + [sub] for sub in node["subcommands"])
    return tree


def bash_words(words):
    return " ".join(words).replace("'", "")


def completion_script(tree):
    subcommands, flags, values, positionals = [], [], [], []
    for command, node in tree.items():
        path = f"redis-warden {command}".strip()  # bash has no empty keys
        if node["subcommands"]:
            subcommands.append(f"    ['{path}']='{bash_words(node['subcommands'])}'")
        flags.append(f"    ['{path}']='{bash_words(node['flags'])}'")
        for flag, spec in node["values"].items():
            values.append(f"    ['{path}|{flag}']='{bash_words([spec])}'")
        for spec in node["positionals"].values():
            positionals.append(f"    ['{path}']='{bash_words([spec])}'")
    return TEMPLATE.format(subcommands="\n".join(subcommands), flags="\n".join(flags),
                           values="\n".join(values), positionals="\n".join(positionals))


TEMPLATE = """\
# bash completion for redis-warden(8): subcommands, their flags, and the values of flags
# that take choices, files or directories. Generated at build time from the binary's own
# --help by deploy/completion/generate.py: change the program, not this file.

declare -gA _redis_warden_subcommands=(
{subcommands}
)
declare -gA _redis_warden_flags=(
{flags}
)
# "PATH|FLAG" -> the words it completes to, @file, @dir or @any (a value, nothing to offer);
# " ..." after it: the flag takes several values.
declare -gA _redis_warden_values=(
{values}
)
declare -gA _redis_warden_positionals=(
{positionals}
)

_redis_warden_offer() {{  # $1: a value spec, $2: the word being completed
    case ${{1% ...}} in
        @file) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$2")) ;;
        @dir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$2")) ;;
        @any) COMPREPLY=() ;;
        *) COMPREPLY=($(compgen -W "${{1% ...}}" -- "$2")) ;;
    esac
}}

_redis_warden() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} path=redis-warden word spec="" i
    COMPREPLY=()
    # The command path so far; a flag's value is not a subcommand.
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${{COMP_WORDS[i]}}
        if [[ $word == -* ]]; then
            spec=${{_redis_warden_values["$path|$word"]-}}
            if [[ -n $spec && $spec != *" ..." ]]; then
                ((i++))  # its one value
                spec=""
            fi
            continue
        fi
        if [[ " ${{_redis_warden_subcommands[$path]-}} " == *" $word "* ]]; then
            path="$path $word"
            spec=""
        fi
    done
    if ((COMP_CWORD > 1)); then
        word=${{COMP_WORDS[COMP_CWORD - 1]}}
        [[ $word == -* ]] && spec=${{_redis_warden_values["$path|$word"]-}}
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "${{_redis_warden_flags[$path]-}}" -- "$cur"))
    elif [[ -n $spec ]]; then
        _redis_warden_offer "$spec" "$cur"
    elif [[ -n ${{_redis_warden_subcommands[$path]-}} ]]; then
        COMPREPLY=($(compgen -W "${{_redis_warden_subcommands[$path]}}" -- "$cur"))
    elif [[ -n ${{_redis_warden_positionals[$path]-}} ]]; then
        _redis_warden_offer "${{_redis_warden_positionals[$path]}}" "$cur"
    fi
}}

complete -F _redis_warden redis-warden
"""


def main(argv):
    if len(argv) == 3 and argv[1] == "--json":
        print(json.dumps(command_tree(argv[2]), indent=1, sort_keys=True))
        return 0
    if len(argv) == 2:
        sys.stdout.write(completion_script(command_tree(argv[1])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

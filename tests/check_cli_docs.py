#!/usr/bin/python3
"""The man pages and the bash completion cover what the program has.

    check_cli_docs.py man BINARY MAN8_SCD
        every command path of the binary (read from its --help, top level down, by
        deploy/completion/generate.py) has a "## redis-warden PATH" section in
        redis-warden(8), and each of its flags a *--flag* there or under COMMON OPTIONS
    check_cli_docs.py config SETTINGS_CPP EXAMPLE_YAML MAN5_SCD
        every key config/settings.cpp accepts, and every key path of the example config,
        has an entry "*path.to.key*: ... default ..." (or "required") in redis-warden.yaml(5)
    check_cli_docs.py completion BINARY COMPLETION_SCRIPT
        the completion script, loaded in bash, completes every subcommand and every flag of
        the binary from a prefix of it

Prints each gap and exits 1, else prints what it checked."""
import json
import os
import re
import subprocess
import sys

GENERATOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy",
                         "completion", "generate.py")


def command_tree(binary):
    done = subprocess.run([sys.executable, GENERATOR, "--json", binary], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


def man_sections(text):
    """-> ({command path: section text}, COMMON OPTIONS text)"""
    sections, common = {}, ""
    current, body = None, []

    def close():
        nonlocal common
        if current == "COMMON OPTIONS":
            common = "\n".join(body)
        elif current is not None:
            sections[current] = "\n".join(body)

    for line in text.splitlines():
        heading = re.match(r"^(#{1,2}) (.*)$", line)
        if heading:
            close()
            title = heading.group(2).strip()
            if heading.group(1) == "##" and title.startswith("redis-warden"):
                current = title[len("redis-warden"):].strip()
            elif title == "COMMON OPTIONS":
                current = "COMMON OPTIONS"
            else:
                current = None
            body = []
        else:
            body.append(line)
    close()
    return sections, common


def bold_flags(text):
    return set(re.findall(r"\*(--?[A-Za-z0-9][A-Za-z0-9-]*)\*", text))


def check_man(binary, man8):
    tree = command_tree(binary)
    with open(man8, encoding="utf-8") as f:
        sections, common = man_sections(f.read())
    common_flags = bold_flags(common)
    gaps, flags_checked = [], 0
    for path, node in sorted(tree.items()):
        words = path.split()
        covering = [title for title in sections if title.split()[:len(words)] == words]
        if path and not covering:
            gaps.append(f"{man8}: no section '## redis-warden {path}' for the command "
                        f"'redis-warden {path}'")
            continue
        mentioned = set(common_flags)
        for title in covering:
            mentioned |= bold_flags(sections[title])
        for flag in node["flags"]:
            flags_checked += 1
            if flag not in mentioned:
                where = f"'## redis-warden {path}'" if path else "COMMON OPTIONS"
                gaps.append(f"{man8}: {where} does not mention *{flag}* (nor does COMMON "
                            f"OPTIONS): 'redis-warden {path} --help' lists it")
    return gaps, f"{len(tree)} command paths and {flags_checked} flags in {man8}"


def settings_keys(settings_cpp):
    """Every key name config/settings.cpp and the loader's other parts beside it
    (config/*.cpp) accept (their expect_map lists, the TLS profile's allowed set and extra
    keys, and every key they ask has() about)."""
    folder = os.path.dirname(os.path.abspath(settings_cpp))
    code = ""
    for name in sorted(os.listdir(folder)):
        if name.endswith(".cpp"):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                code += f.read()
    keys = set(re.findall(r'\bhas\("([A-Za-z_]+)"\)', code))
    for pattern in (r"expect_map\(\{(.*?)\}", r"\ballowed\{(.*?)\}", r"read_tls\([^,()]+,\s*\{(.*?)\}"):
        for block in re.findall(pattern, code, re.S):
            keys |= set(re.findall(r'"([A-Za-z_]+)"', block))
    return keys


def example_paths(example_yaml):
    """The key paths of a block-style YAML file ("clusters[].heal.grace"); keys that are
    data (CIDRs in failure_domains) and commented-out keys are not paths."""
    paths, stack = set(), []  # stack entries: [column, key, is_list]
    with open(example_yaml, encoding="utf-8") as f:
        for line in f:
            content = line.split("#", 1)[0].rstrip()
            if not content.strip():
                continue
            column = len(content) - len(content.lstrip())
            content = content.strip()
            item = content.startswith("- ")
            if item:
                content = content[2:].lstrip()
                column += 2
            key = re.match(r"([A-Za-z_][A-Za-z0-9_]*):(\s|$)", content)
            while stack and stack[-1][0] >= column:
                stack.pop()
            if item and stack:
                stack[-1][2] = True
            if not key:
                continue
            prefix = "".join(f"{k}{'[]' if is_list else ''}." for _, k, is_list in stack)
            paths.add(prefix + key.group(1))
            stack.append([column, key.group(1), False])
    return paths


def check_config(settings_cpp, example_yaml, man5):
    with open(man5, encoding="utf-8") as f:
        entries = re.findall(r"^\*([A-Za-z_][A-Za-z0-9_.\[\]]*)\*:(.*)$", f.read(), re.M)
    gaps = []
    documented = {path for path, _ in entries}
    for path, rest in entries:
        if "default" not in rest and "required" not in rest:
            gaps.append(f"{man5}: *{path}* gives no default (nor says it is required)")
    names = {part.replace("[]", "") for path in documented for part in path.split(".")}
    for key in sorted(settings_keys(settings_cpp) - names):
        gaps.append(f"{man5}: no entry for the key '{key}' that {settings_cpp} accepts")
    sections = {".".join(path.split(".")[:n]) for path in documented
                for n in range(1, path.count(".") + 1)}
    for path in sorted(example_paths(example_yaml) - documented - sections):
        gaps.append(f"{man5}: no entry *{path}* for the key of {example_yaml}")
    return gaps, f"{len(documented)} documented keys in {man5}"


def check_completion(binary, script):
    tree = command_tree(binary)
    cases = []
    for path, node in sorted(tree.items()):
        for word in node["subcommands"] + node["flags"]:
            prefix = word[:-1] if len(word) > 2 else word
            cases.append((path.split(), prefix, word))
    probe = ['set -u', f'source {json.dumps(script)}', 'failed=0']
    for words, prefix, expected in cases:
        command = " ".join(json.dumps(w) for w in ["redis-warden", *words, prefix])
        probe.append(f"COMP_WORDS=({command}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); "
                     f"COMPREPLY=(); _redis_warden; "
                     f"[[ \" ${{COMPREPLY[*]-}} \" == *\" {expected} \"* ]] || "
                     f"{{ echo \"'redis-warden {' '.join(words + [prefix])}<TAB>' does not offer "
                     f"{expected} (got: ${{COMPREPLY[*]-}})\"; failed=1; }}")
    probe.append("exit $failed")
    done = subprocess.run(["bash", "-c", "\n".join(probe)], capture_output=True, text=True)
    gaps = [f"{script}: {line}" for line in done.stdout.splitlines()]
    if done.returncode != 0 and not gaps:
        gaps.append(f"{script}: bash failed: {done.stderr.strip()}")
    return gaps, f"{len(cases)} completions from {script}"


def main(argv):
    checks = {"man": (check_man, 2), "config": (check_config, 3),
              "completion": (check_completion, 2)}
    if len(argv) < 2 or argv[1] not in checks or len(argv) != 2 + checks[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    gaps, summary = checks[argv[1]][0](*argv[2:])
    for gap in gaps:
        print(gap)
    if gaps:
        print(f"{len(gaps)} gap(s)", file=sys.stderr)
        return 1
    print(f"covered: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

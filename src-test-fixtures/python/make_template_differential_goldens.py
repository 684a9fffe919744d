"""Writes differential goldens for steer4j's chat-template interpreter: random Jinja expressions and random statement
templates (nested for/if/set/namespace/macro/filter/raw/comments, break, loop filters, with every
whitespace-control variant between them), rendered by
Python's jinja2 as transformers configures it (make_chat_goldens.environment), with Python's refusals recorded.
The generator is seeded, so the file is reproducible; cases whose Python output holds a memory address are skipped.

usage: python3 make_template_differential_goldens.py OUT_JSON [EXPRESSIONS] [STATEMENTS]
"""
import copy
import json
import os
import random

rng = random.Random()
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_chat_goldens import environment, render_context  # noqa: E402

ATOMS = ["s", "t", "n", "f", "z", "l", "d", "none", "true", "false", "u", "e", "'ab c'", "'A-b'", "' x '", "''",
         "3", "-2", "0", "2.5", "[1, 2, 3]", "['b', 'a']", "{'k': 1, 'j': [2]}", "(1, 'x')", "msgs", "msgs[0]",
         "msgs[-1]", "d.k", "d['j']", "l[1:]", "l[::-1]", "s[1]", "s[-2:]", "'<b>'|safe", "'é'"]
FILTERS = ["length", "upper", "lower", "title", "trim", "first", "last", "list", "string", "tojson", "join(',')",
           "default('D')", "int", "float", "abs", "reverse|list", "sort|list", "unique|list", "items|list",
           "map(attribute='role')|list", "selectattr('role', 'equalto', 'user')|list", "capitalize", "safe",
           "replace('a', 'Z')", "indent(2)", "dictsort", "sum", "count", "escape", "select('odd')|list",
           "reject('none')|list", "batch(2)|list", "center(9)", "wordcount", "round(1)", "max", "min"]
METHODS = ["strip()", "split()", "split(' ')", "upper()", "lower()", "startswith('a')", "endswith('c')",
           "replace(' ', '_')", "title()", "find('b')", "count('a')", "lstrip('a')", "rstrip()", "keys()|list",
           "values()|list", "items()|list", "get('k')", "get('zz', 5)", "isdigit()", "splitlines()", "capitalize()",
           "index(2)", "join(['x', 'y'])", "zfill(5)", "partition(' ')"]
TESTS = ["defined", "undefined", "none", "string", "number", "mapping", "iterable", "sequence", "odd", "even",
         "integer", "float", "boolean", "true", "false", "lower", "upper", "in [1, 2]", "divisibleby 2", "eq 3",
         "sameas none", "callable", "escaped"]
BINOPS = ["+", "-", "*", "/", "//", "%", "**", "~", "==", "!=", "<", ">", "<=", ">=", "in", "not in", "and", "or"]

def expr(depth=0):
    r = rng.random()
    if depth > 2 or r < 0.3:
        return rng.choice(ATOMS)
    if r < 0.45:
        return expr(depth + 1) + "|" + rng.choice(FILTERS)
    if r < 0.55:
        return "(" + expr(depth + 1) + ")." + rng.choice(METHODS)
    if r < 0.65:
        return expr(depth + 1) + " is " + rng.choice(["", "not "]) + rng.choice(TESTS)
    if r < 0.85:
        return expr(depth + 1) + " " + rng.choice(BINOPS) + " " + expr(depth + 1)
    if r < 0.9:
        return "not " + expr(depth + 1)
    if r < 0.95:
        return expr(depth + 1) + " if " + expr(depth + 1) + " else " + expr(depth + 1)
    return "[" + expr(depth + 1) + ", " + expr(depth + 1) + "]"

WS = ["", " ", "  ", "\n", "\n  ", "  \n", "\n\n", "\t", " \n \n", "x", "x\n", "\n    y "]
def sign(): return rng.choice(["", "", "-", "+"]) 
def rsign(): return rng.choice(["", "", "-", "+"])
def tag(body): return "{%" + sign() + " " + body + " " + rsign().replace("+", "+" if rng.random() < 0.5 else "") + "%}"
def out(e): return "{{" + rng.choice(["", "-"]) + " " + e + " " + rng.choice(["", "-"]) + "}}"
def comment(): return "{#" + rng.choice(["", "-"]) + " c " + rng.choice(["", "-"]) + "#}"
EXPRS = ["m.role", "m['content']|trim", "loop.index", "ns.x", "x", "loop.first", "m.content is none", "i * 2",
         "'[' ~ m.role ~ ']'", "messages|length", "caller() if caller is defined else ''", "k ~ '=' ~ v"]
CONDS = ["loop.first", "m.role == 'user'", "not loop.last", "x is defined", "ns.x > 1", "m.content is string",
         "i is even", "true", "false"]
def block(depth):
    parts = []
    for _ in range(rng.randint(1, 4)):
        r = rng.random()
        parts.append(rng.choice(WS))
        if depth > 2 or r < 0.3:
            parts.append(out(rng.choice(EXPRS)))
        elif r < 0.45:
            parts.append(tag("for m in messages") + block(depth + 1) + tag("endfor"))
        elif r < 0.55:
            parts.append(tag("for i in range(3)") + block(depth + 1) + rng.choice(["", tag("else") + "E"]) + tag("endfor"))
        elif r < 0.7:
            parts.append(tag("if " + rng.choice(CONDS)) + block(depth + 1) +
                         rng.choice(["", tag("elif " + rng.choice(CONDS)) + block(depth + 1)]) +
                         rng.choice(["", tag("else") + block(depth + 1)]) + tag("endif"))
        elif r < 0.78:
            parts.append(tag("set ns.x = ns.x + 1"))
        elif r < 0.84:
            parts.append(tag("set x = " + rng.choice(["1", "'s'", "[1, 2]", "none"])))
        elif r < 0.88:
            parts.append(comment())
        elif r < 0.92:
            parts.append(tag("for k, v in {'a': 1}|items") + block(depth + 1) + tag("endfor"))
        elif r < 0.96:
            parts.append(tag("set blk") + block(depth + 1) + tag("endset") + out("blk|length"))
        elif r < 0.965:
            parts.append(tag("macro mm(a, b='B')") + block(depth + 1) + out("a ~ b") + tag("endmacro") + out("mm(1)") + out("mm(2, b=3)"))
        elif r < 0.975:
            parts.append(tag("filter upper") + block(depth + 1) + tag("endfilter"))
        elif r < 0.985:
            parts.append(tag("for m in messages if m.role != 'system'") + out("loop.cycle('o', 'e')") + block(depth + 1)
                         + tag("if loop.index > 1") + tag("break") + tag("endif") + tag("endfor"))
        elif r < 0.993:
            parts.append(tag("set blk | trim") + block(depth + 1) + tag("endset") + out("blk"))
        else:
            parts.append(tag("raw") + "{{ raw }}" + tag("endraw"))
    parts.append(rng.choice(WS))
    return "".join(parts)
EXPRESSION_VARIABLES = {"s": "ab c", "t": "Hello World", "n": 7, "f": 1.5, "z": 0, "l": [3, 1, 2], "d": {"k": 1, "j": [2]},
        "e": "", "msgs": [{"role": "user", "content": " hi "}, {"role": "assistant", "content": None}]}
STATEMENT_VARIABLES = {"m": {"role": "r", "content": "c"}, "i": 5, "k": "K", "v": 0, "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": " hi "},
                     {"role": "assistant", "content": None}]}


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    out = argv[1]
    n_expr = int(argv[2]) if len(argv) > 2 else 1000
    n_stmt = int(argv[3]) if len(argv) > 3 else 150
    env = environment()
    rng.seed(30)
    expressions = []
    while len(expressions) < n_expr:
        src = "{{ " + expr() + " }}"
        r = render_context(env, src, copy.deepcopy(EXPRESSION_VARIABLES))
        text = r.get("text", "")
        if any(s in text for s in ("0x", "<generator", "object at", "dict_", "<built-in", "iterator")):
            continue
        r["template"] = src
        expressions.append(r)
    statements = []
    for _ in range(n_stmt):
        src = ("{%- set ns = namespace(x=0) -%}{% for q in [1, 2] %}" + rng.choice(["", "\n", "  "]) + block(0)
               + "{% endfor %}" + rng.choice(["", "\n", "\n\n"]))
        r = render_context(env, src, copy.deepcopy(STATEMENT_VARIABLES))
        r["template"] = src
        statements.append(r)
    doc = {"expression_variables": EXPRESSION_VARIABLES, "expressions": expressions,
           "statement_variables": STATEMENT_VARIABLES, "statements": statements}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Writes chat-template goldens: the public chat templates of seven instruct-model families (and one template that
exercises the Jinja features HF templates rely on) rendered by Python's jinja2 exactly as Hugging Face
transformers renders them, plus the token ids of ChatML conversations under the chat fixture's tokenizer.

usage: python3 make_chat_goldens.py CHAT_FIXTURE_DIR OUT_JSON [REAL_TEMPLATES_DIR]
       python3 make_chat_goldens.py --keep-fixture OUT_JSON [REAL_TEMPLATES_DIR]

  CHAT_FIXTURE_DIR    the folder written by `WriteFixtures OUT_DIR` as OUT_DIR/gpt2-chat-tiny
                      (TinyCheckpoints.gpt2Chat: the tiny byte-level BPE plus <|im_start|> and <|im_end|>)
  --keep-fixture      keep the fixture section (its token ids) already in OUT_JSON: computing them needs torch
                      (make_goldens.py), rendering the templates needs only jinja2
  REAL_TEMPLATES_DIR  published chat templates (*.jinja), default ../shared/chat-templates beside the repository

Rendering follows transformers' apply_chat_template: ImmutableSandboxedEnvironment(trim_blocks=True,
lstrip_blocks=True) with the globals raise_exception and strftime_now and HF's own tojson filter (ensure_ascii=False).
A case whose template raises records the error message instead of a rendering. Needs jinja2 3.1.x.

Besides the seven families, the goldens hold every real template of REAL_TEMPLATES_DIR rendered for more
conversations (tool calls and tool results in the history, reasoning content, a tools list) and one-line
"snippets" (each isolating one Jinja rule). A template Python refuses is recorded with the exception's type and
message: steer4j must refuse it too. strftime_now sees a fixed day (DATE, midnight) so the goldens are reproducible.
"""
import json
import os
import re
import sys
from datetime import datetime

import jinja2
from jinja2.exceptions import TemplateError
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# The chat_template values of each family's tokenizer_config.json (public texts, as published on the hub).
TEMPLATES = {
    # Qwen/Qwen2-0.5B-Instruct (ChatML with a default system prompt)
    "qwen2": "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
    # meta-llama/Llama-2-7b-chat-hf
    "llama2": "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}",
    # meta-llama/Meta-Llama-3-8B-Instruct
    "llama3": "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}",
    # mistralai/Mistral-7B-Instruct-v0.1
    "mistral": "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
    # HuggingFaceH4/zephyr-7b-beta (one statement per line: trim_blocks and lstrip_blocks decide the output)
    "zephyr": "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}",
    # microsoft/Phi-3-small-8k-instruct
    "phi3": "{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
    # google/gemma-7b-it
    "gemma": "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}",
    # Not a model's: the Python-isms and HF globals that newer templates (Llama 3.1, Qwen2.5, Mistral v0.3) use.
    "features": (
        "{%- set ns = namespace(system='', turns=0) -%}\n"
        "{%- if messages[0]['role'] == 'system' -%}\n"
        "    {%- set ns.system = messages[0]['content'] | trim -%}\n"
        "    {%- set rest = messages[1:] -%}\n"
        "{%- else -%}\n"
        "    {%- set rest = messages -%}\n"
        "{%- endif -%}\n"
        "{{ bos_token }}[{{ ns.system }}]\n"
        "{% for m in rest %}\n"
        "    {% set ns.turns = ns.turns + 1 %}\n"
        "    {{ loop.index }}/{{ rest | length }} {{ m['role'] | upper }}: {{ m['content'].strip() }}{% if loop.last %} (last){% endif %}\n"
        "\n"
        "{% endfor %}\n"
        "{% if tools is defined and tools is not none %}tools={{ tools | tojson }}\n{% endif %}\n"
        "meta={{ {'name': 'caf\u00e9 \u201cq\u201d', 'n': 3, 'ok': true, 'none': none, 'list': [1, 2.5, 'x']} | tojson }}\n"
        "indented={{ {'a': [1, 2]} | tojson(indent=2) }}\n"
        "turns={{ ns.turns }} last={{ messages[-1]['role'] }} year={{ strftime_now('%Y') | length }}\n"
        "{%- if add_generation_prompt %}\n"
        "ASSISTANT:{{ ' ' ~ eos_token if false else '' }}\n"
        "{%- endif %}"
    ),
}

# bos/eos strings of each family's tokenizer_config.json
TOKENS = {
    "qwen2": (None, "<|im_end|>"),
    "llama2": ("<s>", "</s>"),
    "llama3": ("<|begin_of_text|>", "<|eot_id|>"),
    "mistral": ("<s>", "</s>"),
    "zephyr": ("<s>", "</s>"),
    "phi3": ("<|endoftext|>", "<|endoftext|>"),
    "gemma": ("<bos>", "<eos>"),
    "features": ("<s>", "</s>"),
}

SYSTEM = {"role": "system", "content": "You are a patient support agent."}
CONVERSATIONS = {
    "system_multi_turn": [
        SYSTEM,
        {"role": "user", "content": "My order never arrived."},
        {"role": "assistant", "content": "I'm sorry to hear that. What is the order number?"},
        {"role": "user", "content": "It is 4521."},
    ],
    "single_user": [{"role": "user", "content": "Hello!"}],
    "history_ending_with_assistant": [
        {"role": "user", "content": "  Say hi.  "},
        {"role": "assistant", "content": " Hi \n"},
    ],
    "unicode_and_newlines": [
        {"role": "user", "content": "Caf\u00e9 \u2014 na\u00efve?\nSecond line\n\n"},
        {"role": "assistant", "content": "Oui \u2603 \"quoted\" \\ backslash"},
        {"role": "user", "content": "\u65e5\u672c\u8a9e"},
    ],
}
CASES = [
    ("system_multi_turn", True),
    ("system_multi_turn", False),
    ("single_user", True),
    ("history_ending_with_assistant", False),
    ("unicode_and_newlines", True),
]
TOOLS = [{"type": "function", "function": {"name": "lookup_order", "description": "Find an order by its number.",
                                           "parameters": {"type": "object", "properties": {
                                               "id": {"type": "integer", "description": "The order number"}},
                                                          "required": ["id"]}}}]

# The chat fixture's own template (ChatML) and the ASCII conversations whose ids are checked.
FIXTURE_TEMPLATE = "qwen2"
FIXTURE_CASES = [("system_multi_turn", True), ("single_user", True), ("history_ending_with_assistant", False)]


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    # transformers' own tojson: jinja2's built-in escapes HTML characters and sorts keys
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def raise_exception(message):
    raise TemplateError(message)


# the day strftime_now sees (midnight), as `steer4j chat-template --date 2026-01-15` fixes it
DATE = "2026-01-15"


def strftime_now(fmt):
    return datetime.strptime(DATE, "%Y-%m-%d").strftime(fmt)


def environment():
    # as transformers' _compile_jinja_template configures it
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(env, source, messages, add_generation_prompt, bos, eos, tools=None):
    # transformers passes tools and documents always, None when absent
    context = {"messages": messages, "tools": tools, "documents": None, "add_generation_prompt": add_generation_prompt}
    if bos is not None:
        context["bos_token"] = bos
    if eos is not None:
        context["eos_token"] = eos
    return render_context(env, source, context)


def render_context(env, source, context):
    try:
        return {"text": env.from_string(source).render(**context)}
    except TemplateError as e:
        if type(e) is TemplateError:
            return {"error": str(e)}
        return {"error": str(e), "error_type": type(e).__name__}
    except Exception as e:  # noqa: BLE001 - Python's refusal is the golden (TypeError, ValueError, ...)
        return {"error": str(e), "error_type": type(e).__name__}


# Conversations for the real templates (besides CONVERSATIONS): tool calls and results, reasoning content.
TOOL_CALL = {"id": "call_1", "type": "function",
             "function": {"name": "lookup_order", "arguments": {"id": 4521}}}
REAL_CONVERSATIONS = {
    "tool_call_and_result": [
        {"role": "user", "content": "Where is order 4521?"},
        {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
        {"role": "tool", "name": "lookup_order", "tool_call_id": "call_1", "content": "{\"status\": \"shipped\"}"},
    ],
    "tool_call_then_answer": [
        SYSTEM,
        {"role": "user", "content": "Where is order 4521?"},
        {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL]},
        {"role": "tool", "name": "lookup_order", "tool_call_id": "call_1", "content": "shipped"},
        {"role": "assistant", "content": "It has shipped."},
        {"role": "user", "content": "Thanks!"},
    ],
    "reasoning": [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "<think>\nAdd them.\n</think>\n\n4", "reasoning_content": "Add them."},
        {"role": "user", "content": "And 3+3?"},
    ],
}
# (conversation, add_generation_prompt, with tools)
REAL_CASES = [
    ("single_user", True, False),
    ("system_multi_turn", True, False),
    ("system_multi_turn", False, False),
    ("unicode_and_newlines", True, False),
    ("single_user", True, True),
    ("tool_call_and_result", True, True),
    ("tool_call_then_answer", False, True),
    ("reasoning", True, False),
]
# bos/eos of the real templates' models (those not named here: <s> and </s>)
REAL_TOKENS = {
    "Qwen": (None, "<|im_end|>"),
    "NousResearch": ("<|begin_of_text|>", "<|im_end|>"),
    "meta-llama": ("<|begin_of_text|>", "<|eot_id|>"),
    "fireworks": ("<|begin_of_text|>", "<|eot_id|>"),
    "meetkai": ("<|begin_of_text|>", "<|eot_id|>"),
    "deepseek": ("<\uff5cbegin\u2581of\u2581sentence\uff5c>", "<\uff5cend\u2581of\u2581sentence\uff5c>"),
    "llama-cpp-deepseek": ("<\uff5cbegin\u2581of\u2581sentence\uff5c>", "<\uff5cend\u2581of\u2581sentence\uff5c>"),
    "google": ("<bos>", "<eos>"),
    "CohereForAI": ("<BOS_TOKEN>", "<|END_OF_TURN_TOKEN|>"),
    "ByteDance": ("<seed:bos>", "<seed:eos>"),
    "microsoft": ("<s>", "<|endoftext|>"),
}

# One Jinja rule each (issue 30's list and more): the template, its variables, Python's output or refusal.
SNIPPETS = [
    ("a\n    {{- 'b' }}", {}),
    ("A\n{#- c #}X", {}),
    ("{% if not t is defined %}U{% else %}D{% endif %}", {"t": [1]}),
    ("{{ strftime_now is defined }}", {}),
    ("{{ strftime_now('%d %b %Y, %A %H:%M') }}", {}),
    ("{{ 'x: '|safe + t|tojson }}", {"t": {"a": "<b>&'"}}),
    ("{{ true }} {{ none }} {{ false }} {{ 1.0 }} {{ [1, 'a', none, true] }} {{ {'k': 'v'} }}", {}),
    ("{% for k, v in d|items %}{{ k }}={{ v }};{% endfor %}", {"d": {"a": 1, "b": [2]}}),
    ("{% filter upper %}abc{{ x }}{% endfilter %}", {"x": "d"}),
    ("{{ 'abcdef'[::-1] }}|{{ [1, 2, 3, 4, 5][1::2] }}|{{ 'abcdef'[-2:] }}|{{ 'abc'[5:] }}", {}),
    ("{{ '{{ not a tag }}' }}", {}),
    ("{% if not a == b %}ne{% endif %}", {"a": 1, "b": 2}),
    ("{% if not p in q %}out{% endif %}", {"p": "x", "q": "abc"}),
    ("{% set ns = namespace(i=x - 1) %}{{ ns.i }}", {"x": 5}),
    ("{% for m in none_value %}x{% endfor %}", {"none_value": None}),
    ("{% for m in undefined_value %}x{% else %}empty{% endfor %}", {}),
    ("{{ x.y }}", {}),
    ("{{ x.y.z }}", {}),
    ("{{ 1 + 'a' }}", {}),
    ("{{ 'a' + 1 }}", {}),
    ("{{ 'a' ~ 1 ~ none }}", {}),
    ("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 6 / 3 }}", {}),
    ("{{ 10 / 0 }}", {}),
    ("{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'x'.rsplit('/', 1) }}", {}),
    ("{{ 'Hello World'.startswith('Hell') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'a-b'.replace('-', '+') }}", {}),
    ("{{ 'hello world'.title() }} {{ 'ABC'.lower() }} {{ 'abc'.upper() }} {{ 'abc'.capitalize() }}", {}),
    ("{{ '  x  '.strip() }}|{{ 'xxaxx'.lstrip('x') }}|{{ 'xxaxx'.rstrip('x') }}|{{ '\n a \t'|trim }}", {}),
    ("{{ 'abc'.find('c') }} {{ 'abcabc'.count('b') }} {{ 'abc'.index('b') }} {{ '12'.isdigit() }}", {}),
    ("{{ [3, 1, 2]|sort }} {{ ['b', 'A', 'c']|sort }} {{ [1, 2]|reverse|list }} {{ 'abc'|reverse }}", {}),
    ("{{ [1, 2, 3]|first }} {{ [1, 2, 3]|last }} {{ [1, 2, 3]|length }} {{ 'abc'|count }} {{ [1, 2]|sum }}", {}),
    ("{{ messages|map(attribute='role')|join(',') }}|{{ messages|selectattr('role', 'equalto', 'user')|list|length }}",
     {"messages": [{"role": "user"}, {"role": "assistant"}, {"role": "user"}]}),
    ("{{ messages|rejectattr('role', 'eq', 'user')|map(attribute='role')|first }}",
     {"messages": [{"role": "user"}, {"role": "assistant"}]}),
    ("{{ [1, 2, 3, 4]|select('odd')|list }} {{ [1, 2, 3, 4]|reject('even')|list }} {{ ['a', 'B']|map('upper')|list }}",
     {}),
    ("{{ x|default('d') }} {{ none|default('d') }} {{ none|default('d', true) }} {{ ''|default('e', true) }}", {}),
    ("{{ 3|string + 'x' }} {{ '4'|int + 1 }} {{ '2.5'|float }} {{ 'x'|int }} {{ 3.7|int }} {{ 2|float }}", {}),
    ("{{ x is none }} {{ x is not none }} {{ 1 is number }} {{ 'a' is string }} {{ [1] is iterable }}"
     " {{ {'a': 1} is mapping }} {{ x is defined }} {{ y is undefined }} {{ 3 is odd }} {{ 4 is divisibleby 2 }}"
     " {{ true is boolean }} {{ 1 is integer }} {{ 1.5 is float }} {{ [1] is sequence }}", {"x": None}),
    ("{{ 'a' in 'abc' }} {{ 'k' in {'k': 1} }} {{ 2 not in [1, 3] }} {{ 1 == 1.0 }} {{ [1] == [1] }}", {}),
    ("{% for x in [1, 2, 3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}"
     "{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }}|{% endfor %}", {}),
    ("{% for x in [1, 2, 3, 4] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}"
     "{{ x }}{% endfor %}", {}),
    ("{% for x in [1, 2, 3, 4] if x is even %}{{ x }}{{ loop.index }}{% endfor %}", {}),
    ("{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}", {}),
    ("{% for x in [1, 2] %}{{ loop.cycle('a', 'b') }}{% endfor %}", {}),
    ("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}", {}),
    ("{% set ns = namespace(x=1) %}{% for i in [1] %}{% set ns.x = 2 %}{% endfor %}{{ ns.x }}", {}),
    ("{% macro m(a, b='d') %}[{{ a }}{{ b }}]{% endmacro %}{{ m(1) }}{{ m(1, b=2) }}{{ m('x', 'y') }}", {}),
    ("{% macro m(a) %}{{ caller() }}{{ a }}{% endmacro %}{% call m(1) %}inner{% endcall %}", {}),
    ("{% set block %}a{{ 1 + 1 }}b{% endset %}[{{ block }}]", {}),
    ("{{ 'yes' if x else 'no' }} {{ 'only' if false }}|", {"x": 0}),
    ("{{ x and y }} {{ x or y }} {{ not x }} {{ none or 'z' }}", {"x": 1, "y": "b"}),
    ("{{ raise_exception('Bad role: ' + r) }}", {"r": "robot"}),
    ("{{ d.keys()|list }} {{ d.values()|list }} {{ d.items()|list }} {{ d.get('a') }} {{ d.get('z', 'n') }}",
     {"d": {"a": 1, "b": 2}}),
    ("{{ d|dictsort }} {{ d['a'] }} {{ d.a }} {{ l[0] }} {{ l.0 }}", {"d": {"b": 1, "a": 2}, "l": ["q"]}),
    ("{{ {'a': 1}|tojson }} {{ [1, 'x']|tojson(indent=2) }} {{ 'caf\u00e9 <&>'|tojson }} {{ none|tojson }}", {}),
    ("{{ '<b>' }} {{ '<b>'|safe }} {{ '<b>'|escape }} {{ '<b>'|e|safe }}", {}),
    ("{{ ('<' | safe) ~ '>' }} {{ '<'|safe + '>' }} {{ '<'|safe + '>'|safe }}", {}),
    ("{{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ range(5, 0, -2)|list }}", {}),
    ("{{ range(100001)|length }}", {}),
    ("{{ range(100000)|length }}", {}),
    ("{{ 'x' * 3 }} {{ [1] * 2 }} {{ [1] + [2] }} {{ 'a' * 0 }}", {}),
    ("{{ 'abc'|center(7) }}|{{ 'a b'|wordcount }}|{{ 'ab'|list }}|{{ [1, [2, 3]]|first }}", {}),
    ("{{ '%s=%d'|format('a', 3) }} {{ 'a%sb' % 'x' }}", {}),
    ("{{ [1, 2, 3]|batch(2)|list }} {{ [1, 2, 3]|slice(2)|list }} {{ ['a', 'b']|join }}", {}),
    ("{{ 'Line1\nLine2'|indent(2) }}|{{ 'Line1\nLine2'|indent(2, true) }}", {}),
    ("{{ [{'a': 2}, {'a': 1}]|sort(attribute='a')|map(attribute='a')|list }} {{ [1, 5, 3]|max }} {{ [4, 2]|min }}", {}),
    ("{{ [1, 2, 2, 3]|unique|list }} {{ 'a'|replace('a', 'b') }} {{ '-5'|abs if false else -5|abs }} {{ 2.567|round(2) }}",
     {}),
    ("{% include 'META-INF/MANIFEST.MF' %}", {}),
    ("{% import 'x.j2' as x %}{{ x }}", {}),
    ("{% from 'x.j2' import y %}{{ y }}", {}),
    ("{% extends 'base.j2' %}", {}),
    ("{{ 'x'.__class__ }}", {}),
    ("{{ messages.append(1) }}", {"messages": []}),
    ("{% set x = [1] %}{{ x.pop() }}", {}),
    ("{{ 'x'.repeat(3) }}", {}),
    ("{% for x in %}{% endfor %}", {}),
    ("{% if x %}unclosed", {}),
    ("{{ x ", {}),
    ("{% endfor %}", {}),
    ("{{ 'a' }}\n{%- if true %}\n  x\n{%- endif %}  \n  {% if true %}\n    y\n  {% endif %}\n{{ 'end' }}\n", {}),
    ("{%+ if true %}\n  a{% endif %}\n  {%+ if true %}b{% endif %}", {}),
    ("  {# comment #}\nx\n  {#- c -#}  y", {}),
    ("{% raw %}{{ x }}{% endraw %}", {}),
    ("{{ \"it's\" }} {{ 'tab\\there' }} {{ 'uni\\u00e9' }} {{ \"q\\\"\" }}", {}),
    ("{{ 1e3 }} {{ 0.1 + 0.2 }} {{ 1_000 }} {{ 3.0 * 2 }} {{ 10 / 4 }} {{ -0.0 }} {{ 1e100 }}", {}),
    ("{{ x.content is string }} {{ x['content'] }} {{ x.get('missing') is none }}", {"x": {"content": "c"}}),
    ("{{ [1, 2][5] }}", {}),
    ("{{ {'a': 1}['b'] }}|", {}),
    ("{% set a, b = 1, 2 %}{{ a }}{{ b }} {{ (1, 2) }} {{ (1,) }}", {}),
    ("{{ namespace(a=1).a }} {% set n = namespace() %}{% set n.b = 3 %}{{ n.b }}", {}),
    ("{{ dict(a=1) }} {{ cycler is defined }} {{ range is defined }} {{ foo is defined }}", {}),
    ("{{ 'a' is in 'abc' }} {{ 1 is eq 1 }} {{ 2 is gt 1 }} {{ 'a' is lower }} {{ 'A' is upper }}", {}),
    ("{{ x is true }} {{ x is false }} {{ x is sameas true }}", {"x": True}),
    ("{{ messages[0].content|trim|length }} {{ messages|length > 1 }}", {"messages": [{"content": " a "}]}),
    ("{{ 'a' if 'b' is string else 'c' }} {{ not 'x' is string }} {{ - 2 ** 2 }} {{ (1 if true else 2) + 3 }}", {}),
    ("{{ 'x' ~ 1 + 2 }}", {}),
    ("{{ 'x' ~ (1 + 2) }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 4 }} {{ 1 == 1 == 1 }} {{ 'b' > 'a' }}", {}),
    ("{% for i in range(3) %}{% for j in range(2) %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}", {}),
    ("{% if x is defined and x.y is defined %}yes{% else %}no{% endif %}", {"x": {"z": 1}}),
    ("{{ tools is none }} {{ documents is none }} {{ tools is defined }}", {"tools": None, "documents": None}),
]


def real_templates(folder):
    out = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".jinja"):
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            source = f.read()
        bos, eos = "<s>", "</s>"
        for prefix, tokens in REAL_TOKENS.items():
            if name.startswith(prefix):
                bos, eos = tokens
        out[name[:-len(".jinja")]] = (source, bos, eos)
    return out


def fixture_goldens(env, fixture):
    """The fixture's ChatML renderings and their token ids (needs torch, through make_goldens)."""
    from make_goldens import ByteLevelBPE  # noqa: E402 - imports torch

    class ChatBPE(ByteLevelBPE):
        """The fixture BPE with every added token split out first, as HF tokenizers does."""

        def encode(self, text):
            pattern = "(" + "|".join(re.escape(s) for s in sorted(self.special, key=len, reverse=True)) + ")"
            ids = []
            for piece in re.split(pattern, text):
                if piece in self.special:
                    ids.append(self.special[piece])
                elif piece:
                    ids.extend(super().encode(piece))
            return ids

    with open(os.path.join(fixture, "tokenizer_config.json"), encoding="utf-8") as f:
        config = json.load(f)
    assert config["chat_template"] == TEMPLATES[FIXTURE_TEMPLATE], "the fixture's chat_template is not ChatML"
    bpe = ChatBPE(fixture)
    fixture_cases = []
    for conv, gen in FIXTURE_CASES:
        text = render(env, config["chat_template"], CONVERSATIONS[conv], gen, config.get("bos_token"),
                      config.get("eos_token"))["text"]
        fixture_cases.append({"conversation": conv, "add_generation_prompt": gen, "text": text,
                              "ids": bpe.encode(text)})
    return {"name": os.path.basename(os.path.normpath(fixture)), "cases": fixture_cases}


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    fixture, out = argv[1], argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    real_dir = argv[3] if len(argv) > 3 else os.path.join(here, "..", "..", "..", "shared", "chat-templates")
    env = environment()
    families = {}
    for name, source in TEMPLATES.items():
        bos, eos = TOKENS[name]
        cases = []
        # the five conversations, and a one-function tools list (the features template also with the others)
        family_cases = [(conv, gen, name == "features" and gen) for conv, gen in CASES]
        for conv, gen, tools in family_cases + [("single_user", True, True)]:
            r = render(env, source, CONVERSATIONS[conv], gen, bos, eos, TOOLS if tools else None)
            r.update({"conversation": conv, "add_generation_prompt": gen, "tools": tools})
            cases.append(r)
        families[name] = {"template": source, "bos_token": bos, "eos_token": eos, "cases": cases}
    conversations = dict(CONVERSATIONS, **REAL_CONVERSATIONS)
    real = {}
    for name, (source, bos, eos) in real_templates(real_dir).items():
        cases = []
        for conv, gen, tools in REAL_CASES:
            r = render(env, source, conversations[conv], gen, bos, eos, TOOLS if tools else None)
            r.update({"conversation": conv, "add_generation_prompt": gen, "tools": tools})
            cases.append(r)
        real[name] = {"template": source, "bos_token": bos, "eos_token": eos, "cases": cases}
    snippets = []
    for source, variables in SNIPPETS:
        r = render_context(env, source, variables)
        r.update({"template": source, "variables": variables})
        snippets.append(r)
    if fixture == "--keep-fixture":
        with open(out, encoding="utf-8") as f:
            fixture_section = json.load(f)["fixture"]
    else:
        fixture_section = fixture_goldens(env, fixture)
    doc = {"jinja2_version": jinja2.__version__, "date": DATE, "tools": TOOLS, "conversations": conversations,
           "families": families, "real_templates": real, "snippets": snippets, "fixture": fixture_section}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

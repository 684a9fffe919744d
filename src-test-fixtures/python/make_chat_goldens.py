"""Writes chat-template goldens: the public chat templates of seven instruct-model families (and one template that
exercises the Jinja features HF templates rely on) rendered by Python's jinja2 exactly as Hugging Face
transformers renders them, plus the token ids of ChatML conversations under the chat fixture's tokenizer.

usage: /usr/bin/python3 make_chat_goldens.py CHAT_FIXTURE_DIR OUT_JSON

  CHAT_FIXTURE_DIR  the folder written by `WriteFixtures OUT_DIR` as OUT_DIR/gpt2-chat-tiny
                    (TinyCheckpoints.gpt2Chat: the tiny byte-level BPE plus <|im_start|> and <|im_end|>)

Rendering follows transformers' apply_chat_template: ImmutableSandboxedEnvironment(trim_blocks=True,
lstrip_blocks=True) with the globals raise_exception and strftime_now and HF's own tojson filter (ensure_ascii=False).
A case whose template raises records the error message instead of a rendering. Needs Debian's python3-jinja2.
"""
import json
import os
import re
import sys
from datetime import datetime

import jinja2
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_goldens import ByteLevelBPE  # noqa: E402

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
TOOLS = [{"type": "function", "function": {"name": "lookup_order", "parameters": {"id": "integer"}}}]

# The chat fixture's own template (ChatML) and the ASCII conversations whose ids are checked.
FIXTURE_TEMPLATE = "qwen2"
FIXTURE_CASES = [("system_multi_turn", True), ("single_user", True), ("history_ending_with_assistant", False)]


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    # transformers' own tojson: jinja2's built-in escapes HTML characters and sorts keys
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def raise_exception(message):
    raise TemplateError(message)


def strftime_now(fmt):
    return datetime.now().strftime(fmt)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(env, source, messages, add_generation_prompt, bos, eos, tools=None):
    context = {"messages": messages, "add_generation_prompt": add_generation_prompt}
    if bos is not None:
        context["bos_token"] = bos
    if eos is not None:
        context["eos_token"] = eos
    if tools is not None:
        context["tools"] = tools
    try:
        return {"text": env.from_string(source).render(**context)}
    except TemplateError as e:
        return {"error": str(e)}


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


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    fixture, out = argv[1], argv[2]
    env = environment()
    families = {}
    for name, source in TEMPLATES.items():
        bos, eos = TOKENS[name]
        cases = []
        for conv, gen in CASES:
            r = render(env, source, CONVERSATIONS[conv], gen, bos, eos, TOOLS if name == "features" and gen else None)
            r.update({"conversation": conv, "add_generation_prompt": gen, "tools": name == "features" and gen})
            cases.append(r)
        families[name] = {"template": source, "bos_token": bos, "eos_token": eos, "cases": cases}
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
    doc = {"jinja2_version": jinja2.__version__, "tools": TOOLS, "conversations": CONVERSATIONS,
           "families": families, "fixture": {"name": os.path.basename(os.path.normpath(fixture)),
                                            "cases": fixture_cases}}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

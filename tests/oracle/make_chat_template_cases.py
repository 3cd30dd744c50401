"""Goldens for chat templates (issue 24): transformers 4.51.3's apply_chat_template(tokenize=False).

Every template under tests/data/chat_templates/templates/ (real chat templates of public models,
copied unchanged from the public repository, path and commit recorded in sources.json) is rendered over every conversation below by a
PreTrainedTokenizerFast whose chat_template is that text and whose special tokens are SPECIAL. A
render that raises is recorded as {"error": {"type", "message"}} (a template's raise_exception
gives jinja2's TemplateError with its message), so the C++ side must raise there too.

Also written: the render of a few engine-level templates (jinja_cases) with the same environment,
to pin Jinja semantics the real templates do not reach.

Output: tests/data/chat_templates/cases.json
Run: /work/venv/bin/python tests/oracle/make_chat_template_cases.py
"""
import json
import os

import transformers
from tokenizers import Tokenizer, models
from transformers import PreTrainedTokenizerFast
from transformers.utils import logging
from transformers.utils.chat_template_utils import _compile_jinja_template

assert transformers.__version__ == "4.51.3", transformers.__version__
logging.set_verbosity_error()

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "../data/chat_templates")

SPECIAL = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "The city, e.g. Paris"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Temperature unit"},
                    "days": {"type": "integer", "description": "Forecast days", "default": 1},
                },
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search the web — returns snippets.",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "What to search for"},
                    "sites": {"type": "array", "items": {"type": "string"}, "description": "Sites to search"},
                },
                "required": ["query"],
            },
        },
    },
]

DOCUMENTS = [
    {"title": "Paris", "text": "Paris is the capital of France."},
    {"title": "Tokyo", "text": "Tokyo is the capital of Japan.\nIt is large."},
]


def msg(role, content, **extra):
    return {"role": role, "content": content, **extra}


def user(content):
    return msg("user", content)


def tool_result(content, **ids):
    """A tool message: its ids come before its content, as the templates' sources write them."""
    return {"role": "tool", **ids, "content": content}


def tool_call(call_id, name, arguments):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def conversation(*messages, prompt=None, **options):
    """One conversation: its messages and apply_chat_template's options (prompt: add_generation_prompt)."""
    conv = {"messages": list(messages)}
    if prompt is not None:
        conv["add_generation_prompt"] = prompt
    conv.update(options)
    return conv


CONVERSATIONS = {
    "basic": conversation(
        user("Hello, how are you?"),
        msg("assistant", "I'm doing great. How can I help you today?"),
        user("Tell me a joke."),
        prompt=True,
    ),
    "system": conversation(msg("system", "You are a helpful assistant."), user("What is 2+2?"), prompt=True),
    "multi_turn_no_prompt": conversation(
        msg("system", "  Be brief.  "),
        user("Hi"),
        msg("assistant", "Hello!"),
        user("Name a color."),
        msg("assistant", "<think>easy</think>Blue."),
        prompt=False,
    ),
    "single_user": conversation(user("Just one message"), prompt=False),
    "continue_final": conversation(
        user("Write a haiku about the sea."), msg("assistant", "Waves fold into foam"), continue_final_message=True
    ),
    "unicode": conversation(
        msg("system", "Réponds en français. \"Quotes\" and 'apostrophes'\ttab"),
        user("日本語で 😀 naïve café\nsecond line  "),
        prompt=True,
    ),
    "tools": conversation(
        msg("system", "You can call tools."), user("What's the weather in Paris?"), tools=TOOLS, add_generation_prompt=True
    ),
    "tool_calls_dict_args": conversation(
        user("What's the weather in Paris?"),
        {"role": "assistant", "tool_calls": [tool_call("call00001", "get_weather", {"city": "Paris", "days": 2})]},
        tool_result("22 degrees, sunny", name="get_weather", tool_call_id="call00001"),
        tools=TOOLS,
        add_generation_prompt=True,
    ),
    "tool_calls_string_args": conversation(
        user("Search for jinja."),
        msg("assistant", None, tool_calls=[tool_call("call00002", "search", "{\"query\": \"jinja\"}")]),
        tool_result("Jinja is a template engine.", tool_call_id="call00002"),
        msg("assistant", "Jinja is a template engine."),
        user("Thanks"),
        tools=TOOLS,
        add_generation_prompt=True,
    ),
    "documents": conversation(user("What is the capital of France?"), documents=DOCUMENTS, add_generation_prompt=True),
    "thinking_off": conversation(
        user("Quick answer: 3*3?"), add_generation_prompt=True, kwargs={"enable_thinking": False}
    ),
    "alternation_error": conversation(user("one"), user("two"), prompt=True),
}

# Every conversation also gets these template kwargs (Llama 3.x would otherwise print today's date).
COMMON_KWARGS = {"date_string": "26 Jul 2024"}

# Engine-level cases: template text -> rendered by 4.51's environment with this context.
JINJA_CASES = [
    ("ws_trim_lstrip", "a\n  {% if true %}\n  x\n  {% endif %}\nb\n", {}),
    ("ws_minus", "a   {{- 'b' -}}   c {%- if true -%}   d   {%- endif -%}  e", {}),
    ("ws_plus", "a\n  {%+ if true +%}\nx\n{% endif %}", {}),
    ("ws_comment", "a\n  {# note #}\nb {#- x -#} c", {}),
    ("raw", "{% raw %}{{ not parsed }}{% endraw %}!", {}),
    ("trailing_newline", "x\n", {}),
    ("loop_vars", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{% endfor %}", {}),
    ("loop_else_filter", "{% for x in xs if x > 1 %}{{ x }}/{{ loop.length }} {% else %}none{% endfor %}|{% for x in [] %}{% else %}empty{% endfor %}", {"xs": [1, 2, 3]}),
    ("loop_controls", "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i > 4 %}{% break %}{% endif %}{{ i }}{% endfor %}", {}),
    ("loop_scope", "{% set x = 0 %}{% for i in [1, 2] %}{{ x }}{% set x = i %}{% endfor %}{{ x }}", {}),
    ("namespace", "{% set ns = namespace(n=0, s='') %}{% for i in [1, 2, 3] %}{% set ns.n = ns.n + i %}{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.n }} {{ ns.s }}", {}),
    ("set_block", "{% set greeting %}Hi {{ name }}!{% endset %}[{{ greeting }}]", {"name": "Ann"}),
    ("macro", "{% macro tag(name, cls='x', n=2) %}<{{ name }} {{ cls }}{{ n }}>{% endmacro %}{{ tag('a') }}{{ tag('b', n=5) }}{{ tag('c', 'y') }}", {}),
    ("macro_caller", "{% macro wrap(t) %}[{{ t }}:{{ caller() }}]{% endmacro %}{% call wrap('w') %}inner{% endcall %}", {}),
    ("tojson", "{{ v | tojson }}|{{ v | tojson(indent=2) }}|{{ v | tojson(separators=(',', ':')) }}|{{ v | tojson(sort_keys=true) }}|{{ 'é<>&\"' | tojson }}", {"v": {"b": [1, 2.5, None, True], "a": "x\ny", "c": {}, "d": []}}),
    ("tojson_floats", "{{ [1.0, 0.1, 1e20, 1.5e-7, 123456789012345678.0, -0.0, 3.14159, 100.0] | tojson }} {{ 1e16 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }}", {}),
    ("print_values", "{{ none }} {{ true }} {{ [1, 'a', none, 2.0] }} {{ {'k': 'v'} }} {{ ('t',) }} {{ 'it\\'s' }} {{ [\"it's\"] }} {{ 7 / 2 }} {{ 7 // 2 }} {{ -7 % 3 }} {{ 2 ** 8 }}", {}),
    ("strings", "{{ '  pad  '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'hello'.startswith('he') }}|{{ 'hello'.endswith(('x', 'lo')) }}|{{ 'Hello World'.upper() }}{{ 'ÉCOLE'.lower() }}|{{ 'ab'.replace('a', 'c') }}|{{ 'hello world'.title() }}|{{ 'abc'[::-1] }}{{ 'héllo'[1:3] }}{{ 'abc'[-1] }}|{{ '{}-{}'.format(1, 'x') }}|{{ 'a b c'.rsplit(' ', 1) }}", {}),
    ("filters", "{{ ' x '|trim }}|{{ 'abc'|upper }}|{{ [3, 1, 2]|sort|join(',') }}|{{ ['b', 'A', 'c']|sort|join }}|{{ [1, 2, 1, 3]|unique|list }}|{{ [1, 2]|reverse|list }}|{{ 'ab'|reverse }}|{{ [4, 5]|first }}{{ [4, 5]|last }}|{{ xs|length }}|{{ 'x'|default('d') }}{{ undef|default('d') }}{{ ''|default('e', true) }}|{{ '42'|int + 1 }}|{{ 3|string ~ 'x' }}|{{ 'hello world'|capitalize }}|{{ 'a\\nb'|indent(2) }}|{{ 'a\\nb'|indent(2, first=true) }}", {"xs": [1, 2, 3]}),
    ("select_map", "{{ users|selectattr('admin')|map(attribute='name')|join(',') }}|{{ users|rejectattr('admin')|map(attribute='name')|list }}|{{ users|selectattr('name', 'equalto', 'bo')|list|length }}|{{ [1, 2, 3, 4]|select('even')|list }}|{{ ['a', 'b']|map('upper')|join }}|{{ d|items|list }}|{{ d.items()|list }}|{{ d.keys()|list }}|{{ d.values()|list }}|{{ d.get('a') }}{{ d.get('z') }}{{ d.get('z', 0) }}", {"users": [{"name": "al", "admin": True}, {"name": "bo", "admin": False}, {"name": "cy"}], "d": {"a": 1, "b": 2}}),
    ("tests", "{{ undef is defined }}{{ undef is undefined }}{{ none is none }}{{ 'x' is string }}{{ d is mapping }}{{ xs is iterable }}{{ xs is sequence }}{{ 1 is number }}{{ 1.5 is float }}{{ 2 is integer }}{{ true is boolean }}{{ true is true }}{{ false is false }}{{ 3 is odd }}{{ 4 is even }}{{ 'a' is in 'cat' }}{{ 2 is in xs }}{{ 1 is eq 1 }}{{ 1 is equalto 2 }}{{ 3 is divisibleby 3 }}{{ xs is not none }}{{ undef is iterable }}{{ 'a' is lower }}", {"xs": [1, 2], "d": {}}),
    ("operators", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 'a' ~ 1 ~ none }} {{ 'a' in 'cat' }} {{ 1 not in [1] }} {{ not false and (true or false) }} {{ 1 < 2 < 3 }} {{ 'b' > 'a' }} {{ [1, 2] == [1, 2] }} {{ 1 == 1.0 }} {{ x if x else 'no' }} {{ 'yes' if true }}{{ 'no' if false }} {{ -x }} {{ 10 - 2 - 3 }} {{ 2 ** 3 ** 2 }}", {"x": 5}),
    ("undefined", "[{{ undef }}][{{ d.missing }}][{{ d['missing'] }}][{{ undef|length }}][{% for x in undef %}x{% endfor %}][{{ undef|join(',') }}][{{ undef is none }}][{{ undef ~ 'x' }}]", {"d": {"a": 1}}),
    ("undefined_attr_error", "{{ undef.attr }}", {}),
    ("undefined_add_error", "{{ undef + 1 }}", {}),
    ("type_error", "{{ 'a' + 1 }}", {}),
    ("raise_exception", "{{ raise_exception('Bad role: ' ~ role) }}", {"role": "robot"}),
    ("slices", "{{ xs[1:] }} {{ xs[:-1] }} {{ xs[::2] }} {{ xs[::-1] }} {{ xs[5:] }} {{ xs[-2] }} {{ xs[1:3] }}", {"xs": [0, 1, 2, 3, 4]}),
    ("dict_literal_and_iteration", "{% set m = {'b': 1, 'a': 2} %}{% for k in m %}{{ k }}{% endfor %}{% for k, v in m.items() %}{{ k }}={{ v }};{% endfor %}{{ m|length }}{{ m.b }}{{ m['a'] }}", {}),
    ("generation_tag", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}|{% endfor %}", {"messages": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}]}),
    ("generators", "{% if [] | select %}truthy{% endif %}|{{ xs | select('odd') is sequence }}|{{ xs | map('string') | list }}|{% set g = xs | select %}{{ g | list }}{{ g | list }}|{{ d.items() }} {{ d.keys() }} {{ d.values() }} {{ d.items() | length }}|{{ xs | reverse | list }}|{{ xs | map('string') | first }}", {"xs": [1, 2, 3], "d": {"a": 1}}),
    ("generator_tojson_error", "{{ xs | selectattr('a') | tojson }}", {"xs": [{"a": 1}]}),
    ("generator_length_error", "{{ xs | map('string') | length }}", {"xs": [1]}),
    ("string_escapes", "{{ 'tab\\there' }}|{{ \"q\\\"d\" }}|{{ 'u\\u00e9x' }}|{{ 'nl\\\\n' }}|{{ 'a' 'b' }}", {}),
]


def render_case(tok, conv):
    kwargs = dict(COMMON_KWARGS)
    kwargs.update(conv.get("kwargs", {}))
    try:
        out = tok.apply_chat_template(
            conv["messages"],
            tools=conv.get("tools"),
            documents=conv.get("documents"),
            add_generation_prompt=conv.get("add_generation_prompt", False),
            continue_final_message=conv.get("continue_final_message", False),
            tokenize=False,
            **kwargs,
        )
        return {"output": out}
    except Exception as e:  # noqa: BLE001 - the exception is the golden
        return {"error": {"type": type(e).__name__, "message": str(e)}}


def main():
    backend = Tokenizer(models.WordLevel({"<unk>": 0, "<s>": 1, "</s>": 2}, unk_token="<unk>"))
    sources = json.load(open(os.path.join(DATA, "sources.json")))
    names = sorted(f[: -len(".jinja")] for f in os.listdir(os.path.join(DATA, "templates")) if f.endswith(".jinja"))
    assert sorted(sources) == names, (sorted(sources), names)
    cases = []
    for name in names:
        text = open(os.path.join(DATA, "templates", name + ".jinja"), encoding="utf-8").read()
        tok = PreTrainedTokenizerFast(tokenizer_object=backend, chat_template=text, **SPECIAL)
        assert tok.special_tokens_map == SPECIAL, tok.special_tokens_map
        for conv_name, conv in CONVERSATIONS.items():
            case = {"template": name, "conversation": conv_name}
            case.update(render_case(tok, conv))
            cases.append(case)
    jinja_cases = []
    for name, text, ctx in JINJA_CASES:
        case = {"name": name, "template": text, "context": ctx}
        try:
            case["output"] = _compile_jinja_template(text).render(**ctx)
        except Exception as e:  # noqa: BLE001
            case["error"] = {"type": type(e).__name__, "message": str(e)}
        jinja_cases.append(case)
    # Through a real tokenizer: the fixture's special tokens go into the template, and the text is
    # tokenized without special tokens (tokenize=True, return_dict=True).
    fixture = os.path.join(HERE, "../../../shared/fixtures/hf/tokenizers/llama3_regex_bpe")
    tok = PreTrainedTokenizerFast.from_pretrained(fixture)
    tokenized = []
    for name, conv_name in (("llama-3.1-instruct", "tools"), ("qwen2.5-instruct", "basic"), ("gemma-2-it", "basic")):
        tok.chat_template = open(os.path.join(DATA, "templates", name + ".jinja"), encoding="utf-8").read()
        conv = CONVERSATIONS[conv_name]
        enc = tok.apply_chat_template(conv["messages"], tools=conv.get("tools"), add_generation_prompt=conv.get("add_generation_prompt", False),
                                      tokenize=True, return_dict=True, **COMMON_KWARGS)
        text = tok.apply_chat_template(conv["messages"], tools=conv.get("tools"), add_generation_prompt=conv.get("add_generation_prompt", False),
                                       tokenize=False, **COMMON_KWARGS)
        tokenized.append({"template": name, "conversation": conv_name, "special_tokens_map": tok.special_tokens_map,
                          "text": text, "input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})
    out = {
        "transformers_version": transformers.__version__,
        "tokenized_fixture": "llama3_regex_bpe",
        "tokenized": tokenized,
        "special_tokens_map": SPECIAL,
        "common_kwargs": COMMON_KWARGS,
        "conversations": CONVERSATIONS,
        "cases": cases,
        "jinja_cases": jinja_cases,
    }
    with open(os.path.join(DATA, "cases.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    errors = sum("error" in c for c in cases)
    print(f"{len(names)} templates x {len(CONVERSATIONS)} conversations = {len(cases)} cases ({errors} raise); {len(jinja_cases)} jinja cases")


if __name__ == "__main__":
    main()

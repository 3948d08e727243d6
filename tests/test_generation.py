"""The prompt state saved on disk: a second process starts where the first one stopped reading."""

import pytest

from assistant import languages, prompts
from assistant.config import Settings
from assistant.generation import Generator, model_path

pytestmark = pytest.mark.slow

FIXED = prompts.answer_messages("[1] …", "…", languages.name("fr"))
QUESTION = prompts.answer_messages("[1] Milley est arrivé en Pologne vers 11 heures.", "À quelle heure Milley est-il arrivé ?", "français")


@pytest.fixture(scope="module")
def small_model():
    return model_path("small", Settings().cache_dir)


def test_a_saved_state_is_loaded_instead_of_read_and_answers_the_same(small_model, tmp_path):
    reader = Generator(small_model)
    reader.prime(FIXED, tmp_path)
    [saved] = tmp_path.glob("*.npz")
    read = list(reader._llm.input_ids)
    expected = reader.complete(QUESTION, max_tokens=12)

    loader = Generator(small_model)
    assert loader._load_state(saved)  # what prime does when the file is there
    assert list(loader._llm.input_ids) == read and len(read) > 400
    assert loader.complete(QUESTION, max_tokens=12) == expected


def test_a_damaged_state_file_is_read_again_and_replaced(small_model, tmp_path):
    Generator(small_model).prime(FIXED, tmp_path)
    [saved] = tmp_path.glob("*.npz")
    saved.write_bytes(b"not a state")

    generator = Generator(small_model)
    generator.prime(FIXED, tmp_path)
    assert generator._llm.n_tokens > 400  # the prompt was read
    assert Generator(small_model)._load_state(saved)  # and saved again, whole


def test_a_new_prompt_state_replaces_the_models_older_one(small_model, tmp_path):
    Generator(small_model).prime(FIXED, tmp_path)
    Generator(small_model).prime(QUESTION, tmp_path)  # the instructions changed
    [kept] = tmp_path.glob("*.npz")
    assert kept.name.startswith(small_model.stem)
    assert Generator(small_model)._load_state(kept)


def test_what_other_threads_print_while_the_model_loads_is_not_swallowed(small_model):
    # llama-cpp-python pointed stdout and stderr at /dev/null while loading; loaded in the
    # background, that ate the chat page's address. A fresh process: the model loads once there.
    import subprocess
    import sys
    import textwrap

    child = textwrap.dedent(
        f"""
        import sys, threading, time
        from assistant.generation import Generator
        loading = threading.Thread(target=Generator, args=({str(small_model)!r},))
        loading.start()
        for i in range(40):
            print("line", i, flush=True)
            print("err", i, file=sys.stderr, flush=True)
            time.sleep(0.02)
        loading.join()
        """
    )
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-500:]
    assert [line for line in done.stdout.splitlines() if line.startswith("line")] == [f"line {i}" for i in range(40)]
    assert sum(line.startswith("err ") for line in done.stderr.splitlines()) == 40

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

"""Reading a question, before and apart from the stages that answer it (pure functions): the
time it speaks of (`when`, with its phrases in `when_rules` and words in `timewords`), the
outlets it names (`outlets`), what a follow-up's pronoun stands for (`referents`), the kind of
answer it asks for (`kinds`), and the phrases cut out of it (`phrases`).

Below the stages (`answering` reads questions through here) and beside ingest: it imports
neither. The words it reads in each language come from `languages`."""

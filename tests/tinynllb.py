"""A tiny NLLB-200-shaped model, built the way a user converts the real one.

transformers' M2M100 architecture with tiny sizes and seeded random weights, NLLB's tokenizer over a
SentencePiece model trained on a few lines, saved and converted by CTranslate2's transformers converter (what
`ct2-transformers-converter --model facebook/nllb-200-distilled-600M` does), with `sentencepiece.bpe.model`
copied beside the conversion. Output is noise: tests assert plumbing, never wording.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tinymodel import TRAINING_LINES, train_sentencepiece

# The NLLB-200 codes the pipeline uses, plus one it does not (a real conversion knows 202 of them).
NLLB_CODES = ("eng_Latn", "kaz_Cyrl", "rus_Cyrl", "arb_Arab", "uzn_Latn")


def build_tiny_nllb(directory: Path, seed: int = 0, *, d_model: int = 32, layers: int = 2, heads: int = 2,
                    ffn: int = 64, vocab_size: int | None = None, quantization: str | None = None) -> Path:
    """The conversion directory (model.bin, config.json, shared_vocabulary.json, sentencepiece.bpe.model).

    The defaults make a tiny test model; benchmarks ask for a real-size one (vocab_size pads the vocabulary
    with the converter's `madeupword` tokens, as the real NLLB vocabulary is padded)."""
    import torch
    from ctranslate2.converters import TransformersConverter
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    directory = Path(directory)
    work = directory.parent / f"{directory.name}-hf"
    spm_path = train_sentencepiece(work / "sentencepiece.bpe.model", vocab_size=300, lines=TRAINING_LINES)
    (work / "tokenizer_config.json").write_text(json.dumps(
        {"tokenizer_class": "NllbTokenizer", "additional_special_tokens": list(NLLB_CODES)}), encoding="utf-8")
    tokenizer = NllbTokenizer.from_pretrained(str(work))  # SentencePiece -> NLLB's id layout, as the real one
    tokenizer.save_pretrained(str(work))
    torch.manual_seed(seed)
    config = M2M100Config(
        vocab_size=max(vocab_size or 0, len(tokenizer)), d_model=d_model, encoder_layers=layers,
        decoder_layers=layers, encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn, max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.eos_token_id,
        scale_embedding=True, tokenizer_class="NllbTokenizer",
    )
    M2M100ForConditionalGeneration(config).eval().save_pretrained(str(work))
    TransformersConverter(str(work)).convert(str(directory), quantization=quantization, force=True)
    shutil.copyfile(spm_path, directory / "sentencepiece.bpe.model")
    shutil.rmtree(work, ignore_errors=True)
    return directory

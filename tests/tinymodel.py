"""Tiny but valid translation models, built from scratch in a second or two for tests.

Real models cannot be downloaded here, so tests exercise the whole road (archive, install, load, tokenize,
CTranslate2 decoding, detokenize) with seeded random weights. Their output is noise and rarely ends by
itself: only the length bound stops it.

Two builders:
- build_tiny_argosmodel(): a `.argosmodel` like the ones in the argos index (one SentencePiece model,
  shared vocabulary, optional target_prefix).
- build_tiny_opus_release(): a Marian/OPUS-MT style release (model .npz with Marian's parameter names,
  decoder.yml, vocab.yml, source.spm/target.spm, README.md) for `pipeline models import-opus`.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import sentencepiece as spm
from ctranslate2.converters.converter import Converter
from ctranslate2.specs import common_spec, transformer_spec

LANG_NAMES = {"en": "English", "kk": "Kazakh", "ru": "Russian", "ar": "Arabic"}

# Written for these tests (not taken from any corpus): enough Latin, Cyrillic (with the Kazakh letters)
# and Arabic text that every character the model may emit is a piece of the vocabulary.
TRAINING_LINES = (
    "The council of religious leaders met in the capital on Tuesday.",
    "Delegates discussed dialogue, tolerance and the role of faith in society.",
    "The mufti thanked the ambassador for the visit and the new cooperation agreement.",
    "A forum on interfaith harmony will open next year with guests from twenty countries.",
    "Numbers such as 2024, 15 and 3.5 percent appear in the news too.",
    "Кеңес мүшелері астанада сейсенбі күні кездесті.",
    "Діни бірлестіктер өкілдері төзімділік пен диалог туралы пікір алмасты.",
    "Елшілік қызметкерлері жаңа келісімге қол қойды, әңгіме ұзаққа созылды.",
    "Қазақстан мұсылмандары діни басқармасы һәм үкімет өкілдері қатысты.",
    "Совет религиозных лидеров собрался в столице во вторник.",
    "Делегаты обсудили диалог, терпимость и роль веры в обществе.",
    "Муфтий поблагодарил посла за визит и подписанное соглашение; съезд продолжится.",
    "Эти шёлковые щётки — объёмный подъезд, цифры ё, ъ, ы, э, ю, я.",
    "اجتمع مجلس القادة الدينيين في العاصمة يوم الثلاثاء.",
    "ناقش المندوبون الحوار والتسامح ودور الإيمان في المجتمع.",
    "شكر المفتي السفير على الزيارة وعلى اتفاقية التعاون الجديدة.",
    "ظ غ ض ذ خ ث ص ق ف ع ه ط ك م ن ت ا ل ب ي س ش ء ؤ ئ ة ى آ أ إ ،؟",
)

SPECIAL_PREFIXES = ("__kk__", "__ru__", "__ar__", "__en__")


def train_sentencepiece(
    path: Path, vocab_size: int = 300, user_symbols: Sequence[str] = (), lines: Sequence[str] = TRAINING_LINES
) -> Path:
    """Train a small BPE SentencePiece model (deterministic) and write it to `path`."""
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=buffer,
        vocab_size=vocab_size,
        model_type="bpe",
        character_coverage=1.0,
        hard_vocab_limit=False,
        user_defined_symbols=list(user_symbols),
        num_threads=1,
        minloglevel=2,
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path


def sentencepiece_pieces(path: Path) -> list[str]:
    processor = spm.SentencePieceProcessor(model_file=str(path))
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


class RandomTransformerConverter(Converter):
    """A CTranslate2 converter whose 'checkpoint' is a seeded random generator."""

    def __init__(
        self,
        vocabulary: Sequence[str],
        target_vocabulary: Sequence[str] | None = None,
        num_layers: int = 2,
        d_model: int = 32,
        num_heads: int = 2,
        ffn_dim: int = 64,
        seed: int = 0,
    ):
        self.source_vocabulary = list(vocabulary)
        self.target_vocabulary = list(target_vocabulary or vocabulary)
        self.num_layers = num_layers
        self.d_model = d_model
        self.num_heads = num_heads
        self.ffn_dim = ffn_dim
        self.seed = seed

    def _load(self):
        rng = np.random.default_rng(self.seed)
        d, ffn = self.d_model, self.ffn_dim

        def matrix(rows, cols):
            return rng.normal(0.0, 0.2, (rows, cols)).astype(np.float32)

        def vector(size, value=None):
            if value is not None:
                return np.full(size, value, dtype=np.float32)
            return rng.normal(0.0, 0.05, size).astype(np.float32)

        def norm(spec):
            spec.gamma = vector(d, 1.0)
            spec.beta = vector(d, 0.0)

        def linear(spec, rows, cols):
            spec.weight = matrix(rows, cols)
            spec.bias = vector(rows)

        def attention(spec, self_attention):
            norm(spec.layer_norm)
            if self_attention:
                linear(spec.linear[0], 3 * d, d)
                linear(spec.linear[1], d, d)
            else:
                linear(spec.linear[0], d, d)
                linear(spec.linear[1], 2 * d, d)
                linear(spec.linear[2], d, d)

        def feed_forward(spec):
            norm(spec.layer_norm)
            linear(spec.linear_0, ffn, d)
            linear(spec.linear_1, d, ffn)

        spec = transformer_spec.TransformerSpec.from_config(
            self.num_layers, self.num_heads, pre_norm=True, activation=common_spec.Activation.RELU
        )
        spec.encoder.embeddings[0].weight = matrix(len(self.source_vocabulary), d)
        spec.decoder.embeddings.weight = matrix(len(self.target_vocabulary), d)
        norm(spec.encoder.layer_norm)
        norm(spec.decoder.layer_norm)
        for layer in spec.encoder.layer:
            attention(layer.self_attention, True)
            feed_forward(layer.ffn)
        for layer in spec.decoder.layer:
            attention(layer.self_attention, True)
            attention(layer.attention, False)
            feed_forward(layer.ffn)
        linear(spec.decoder.projection, len(self.target_vocabulary), d)
        spec.register_source_vocabulary(self.source_vocabulary)
        spec.register_target_vocabulary(self.target_vocabulary)
        return spec


def zip_package(package_dir: Path, archive: Path) -> Path:
    """Zip `package_dir` as the single top-level directory of `archive`."""
    package_dir, archive = Path(package_dir), Path(archive)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(package_dir, package_dir.name + "/")
        for path in sorted(package_dir.rglob("*")):
            zf.write(path, (Path(package_dir.name) / path.relative_to(package_dir)).as_posix())
    return archive


def build_tiny_argosmodel(
    out_dir: Path,
    from_code: str = "en",
    to_code: str = "kk",
    target_prefix: str = "",
    seed: int = 0,
    package_version: str = "1.0",
    quantization: str | None = None,
) -> Path:
    """Build `<out_dir>/translate-<from>_<to>-<version>.argosmodel` and return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"translate-{from_code}_{to_code}-{package_version.replace('.', '_')}"
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        package = Path(tmp) / name
        package.mkdir()
        symbols = list(SPECIAL_PREFIXES)
        if target_prefix and target_prefix not in symbols:
            symbols.append(target_prefix)
        sp_path = train_sentencepiece(package / "sentencepiece.model", user_symbols=symbols)
        RandomTransformerConverter(sentencepiece_pieces(sp_path), seed=seed).convert(
            str(package / "model"), quantization=quantization
        )
        metadata = {
            "package_version": package_version,
            "argos_version": "1.0",
            "from_code": from_code,
            "from_name": LANG_NAMES.get(from_code, from_code),
            "to_code": to_code,
            "to_name": LANG_NAMES.get(to_code, to_code),
            "type": "translate",
        }
        if target_prefix:
            metadata["target_prefix"] = target_prefix
        (package / "metadata.json").write_text(json.dumps(metadata, indent=2), encoding="utf-8")
        (package / "README.md").write_text("Tiny random test model; output is noise.\n", encoding="utf-8")
        archive = zip_package(package, out_dir / f"{name}.argosmodel")
    return archive


# ---------------------------------------------------------------- OPUS-MT style release

MARIAN_CONFIG = """\
type: transformer
dim-emb: {d}
dim-vocabs: [{v}, {v}]
enc-depth: {layers}
dec-depth: {layers}
transformer-heads: {heads}
transformer-dim-ffn: {ffn}
transformer-ffn-activation: swish
transformer-preprocess: ""
transformer-postprocess: dan
transformer-postprocess-emb: d
transformer-postprocess-top: ""
transformer-decoder-autoreg: self-attention
transformer-no-projection: false
transformer-guided-alignment-layer: last
tied-embeddings-all: true
"""


def marian_weights(vocab_size: int, d: int = 32, ffn: int = 64, layers: int = 1, heads: int = 2,
                   seed: int = 0) -> dict[str, np.ndarray]:
    """Random parameters named as Marian saves a post-norm transformer-align model (tied embeddings)."""
    rng = np.random.default_rng(seed)

    def rand(*shape):
        return rng.normal(0.0, 0.2, shape).astype(np.float32)

    weights: dict[str, np.ndarray] = {"Wemb": rand(vocab_size, d)}

    def attention(prefix):
        for part in ("q", "k", "v", "o"):
            weights[f"{prefix}_W{part}"] = rand(d, d)
            weights[f"{prefix}_b{part}"] = rand(1, d)
        weights[f"{prefix}_Wo_ln_scale"] = np.ones((1, d), np.float32)
        weights[f"{prefix}_Wo_ln_bias"] = np.zeros((1, d), np.float32)

    def feed_forward(prefix):
        weights[f"{prefix}_W1"] = rand(d, ffn)
        weights[f"{prefix}_b1"] = rand(1, ffn)
        weights[f"{prefix}_W2"] = rand(ffn, d)
        weights[f"{prefix}_b2"] = rand(1, d)
        weights[f"{prefix}_ffn_ln_scale"] = np.ones((1, d), np.float32)
        weights[f"{prefix}_ffn_ln_bias"] = np.zeros((1, d), np.float32)

    for i in range(1, layers + 1):
        attention(f"encoder_l{i}_self")
        feed_forward(f"encoder_l{i}_ffn")
        attention(f"decoder_l{i}_self")
        attention(f"decoder_l{i}_context")
        feed_forward(f"decoder_l{i}_ffn")
    weights["decoder_ff_logit_out_b"] = rand(1, vocab_size)
    config = MARIAN_CONFIG.format(d=d, v=vocab_size, layers=layers, heads=heads, ffn=ffn)
    weights["special:model.yml"] = np.frombuffer(config.encode() + b"\0", dtype=np.int8)
    return weights


def write_marian_vocab(path: Path, tokens: Sequence[str]) -> Path:
    """Marian's vocab.yml: one `"token": id` line per token, quoted and escaped."""
    lines = []
    for index, token in enumerate(tokens):
        escaped = token.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'"{escaped}": {index}')
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(path)


def build_tiny_opus_release(
    out_dir: Path,
    source_langs: Sequence[str] = ("eng",),
    target_langs: Sequence[str] = ("kaz",),
    lang_tokens: Sequence[str] = (),
    seed: int = 0,
    as_zip: bool = False,
    name: str = "opus-2021-02-19",
    readme_labels: bool = True,
) -> Path:
    """An OPUS-MT release directory (or `<name>.zip` of its files, as Tatoeba-Challenge ships them).

    `lang_tokens` (e.g. ">>kaz<<") go into the vocabulary only, as in real multilingual releases where
    the token is added after SentencePiece encoding.
    """
    out_dir = Path(out_dir)
    release = out_dir / name
    release.mkdir(parents=True, exist_ok=False)
    source_spm = train_sentencepiece(release / "source.spm", vocab_size=250)
    target_spm = train_sentencepiece(release / "target.spm", vocab_size=280)
    specials = {"<unk>", "<s>", "</s>"}
    tokens = ["</s>", "<unk>"]
    seen = set(tokens)
    for piece in sentencepiece_pieces(source_spm) + sentencepiece_pieces(target_spm) + list(lang_tokens):
        if piece not in specials and piece not in seen:
            tokens.append(piece)
            seen.add(piece)
    vocab_name = "opus.spm32k-spm32k.vocab.yml"
    model_name = "opus.spm32k-spm32k.transformer-align.model1.npz.best-perplexity.npz"
    write_marian_vocab(release / vocab_name, tokens)
    np.savez(release / model_name, **marian_weights(len(tokens), seed=seed))
    (release / "decoder.yml").write_text(
        f"models:\n  - {model_name}\nvocabs:\n  - {vocab_name}\n  - {vocab_name}\n"
        "beam-size: 6\nnormalize: 0.6\nword-penalty: 0\nmini-batch: 1\nmaxi-batch: 1\n"
        "maxi-batch-sort: src\nrelative-paths: true\n",
        encoding="utf-8",
    )
    readme = [
        f"# {name}.zip",
        "",
        "* dataset: opus",
        "* model: transformer-align",
        f"* source language(s): {' '.join(source_langs)}",
        f"* target language(s): {' '.join(target_langs)}",
        "* pre-processing: normalization + SentencePiece (spm32k,spm32k)",
    ]
    if lang_tokens and readme_labels:
        readme.append("* a sentence initial language token is required in the form of `>>id<<` "
                      "(id = valid target language ID)")
        readme.append(f"* valid language labels: {' '.join(lang_tokens)}")
    (release / "README.md").write_text("\n".join(readme) + "\n", encoding="utf-8")
    (release / "LICENSE").write_text("Tiny random test model, CC-BY 4.0 style notice.\n", encoding="utf-8")
    if not as_zip:
        return release
    archive = out_dir / f"{name}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(release.iterdir()):
            zf.write(path, path.name)
    shutil.rmtree(release)
    return archive

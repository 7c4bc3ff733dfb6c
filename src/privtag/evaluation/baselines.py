"""Two baselines the fine-tuned tagger has to beat: keyword rules and TF-IDF + logistic regression.

Both follow :class:`privtag.evaluation.harness.System`: ``predict_proba(units)`` gives scores of
shape (n_units, n_labels) in [0, 1], ``predict(units)`` the label names whose score
reaches ``thresholds``; one unit in gives one result out. Both read only a unit's text.

* :class:`RuleTagger` needs no data: a handful of regular expressions per label, written
  from the label definitions in :mod:`privtag.labels`. It shows how far surface cues go.
* :class:`TfidfTagger` learns word and word-bigram TF-IDF features and one logistic
  regression per label, then picks each label's threshold on validation data. It saves
  to plain JSON and ``.npz`` arrays, never pickle, so a model directory can be read
  safely and by other tools.

Example:
    >>> RuleTagger().predict("You can opt out of marketing e-mails.")
    ['User Choice/Control']
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from privtag.errors import DataError, ModelLoadError
from privtag.evaluation.harness import check_labels, reference_matrix
from privtag.extras import missing, require
from privtag.inference.encoding import Unit, unit_text
from privtag.labels import LABELS
from privtag.training.thresholds import tune_thresholds

try:
    from datasets import Dataset
except ImportError as e:  # an optional dependency: say which extra has it
    raise missing("train", "datasets") from e


def _any(*phrases: str) -> str:
    """A pattern matching any of the phrases (themselves regexes) as whole words."""
    return r"\b(?:" + "|".join(phrases) + r")\b"


_VERBS_EDIT = "(?:access|review|update|correct|edit|amend|delete|remove|erase|export)"

#: Rules per label: (rule name, pattern); matching ignores case. A unit's score for a
# label is 1 - 0.5**hits, so one matching rule gives 0.5 (the threshold) and more
# matching rules give more confidence: the scores rank units instead of only splitting them.
# Each rule looks for a cue the label's definition names; "[^.;]{0,60}?" lets two cue
# words be apart within one clause ("share your e-mail address with our partners").
# fmt: off
RULES: dict[str, list[tuple[str, str]]] = {
    "First Party Collection/Use": [
        ("we_collect", r"\b(?:we|us)\s+(?:may\s+|also\s+|automatically\s+)*"
         + _any("collect", "gather", "obtain", "receive", "record", "log", "process", "store")),
        ("cookies", _any("cookies?", "web beacons?", "pixel tags?", "clear gifs?", "log files?",
                         "tracking technolog(?:y|ies)")),
    ],
    "Third Party Sharing/Collection": [
        ("third_party", _any("third[- ]part(?:y|ies)")),
        ("share_with", _any(r"(?:share|sell|rent|disclose|transfer)\w*") + r"[^.;]{0,60}?"
         + _any(r"(?:with|to)\s+(?:our\s+)?(?:partners|advertisers|affiliates|service providers|"
                r"vendors|other companies|law enforcement|government)")),
        ("ad_analytics", _any("advertisers", "advertising (?:networks?|partners?)", "ad networks?",
                              "analytics (?:providers?|services?|partners?)", "google analytics")),
    ],
    "User Choice/Control": [
        ("opt_out", _any("opt(?:ing)?[- ]?(?:out|in)")),
        ("unsubscribe", _any(r"unsubscrib\w*")),
        # giving or taking back consent; "with your consent" alone is mostly a condition
        # attached to a collection or sharing statement, so it is not a cue here
        ("consent", _any(r"(?:withdraw|give|grant|refuse|deny|revoke)\w*\s+(?:your\s+)?consent")),
        ("settings", _any(r"(?:browser|privacy|account|cookie)\s+(?:settings|preferences)",
                          r"(?:disable|block|refuse|reject|decline)\w*\s+(?:all\s+)?cookies")),
    ],
    "User Access, Edit and Deletion": [
        # "review, update or delete your personal information": a list of edit verbs, then
        # the user's own information or account as the object.
        ("access_edit", _any(_VERBS_EDIT + rf"(?:,?\s+(?:and\s+|or\s+)?{_VERBS_EDIT})*"
                             r"\s+(?:your|the|any)\s+(?:personal\s+)?"
                             r"(?:information|data|account|profile|details)")),
        ("request_change", _any(r"request\w*\s+(?:that\s+we\s+|us\s+to\s+)?"
                                r"(?:access|delete|remove|correct|update|erase)")),
        ("close_account", _any(r"(?:close|deactivate|cancel|terminate)\s+(?:your\s+)?account")),
        ("data_rights", _any(r"right\s+(?:to|of)\s+(?:access|rectification|erasure|deletion|"
                             r"data portability|be forgotten)")),
    ],
    "Data Retention": [
        ("retain", _any("retain(?:s|ed)?", "retention")),
        ("period", _any(r"as long as (?:it is |is |we deem it )?(?:necessary|needed|required|reasonably)",
                        r"for (?:a period of |up to |at least )?\w+ (?:days|months|years)")),
        ("delete_after", _any(r"(?:delete|erase|destroy|purge|anonymi[sz]e)\w*") + r"[^.;]{0,60}?"
         + _any("after", "within", "once")),
    ],
    "Data Security": [
        ("encryption", _any(r"encrypt\w*", "ssl", "tls", "https", "secure socket layer")),
        ("safeguards", _any("security measures", "safeguards?", "secure servers?", "firewalls?",
                            "unauthori[sz]ed access", "access controls?")),
        ("no_guarantee", _any("no", "not") + r"[^.;]{0,60}?"
         + _any(r"(?:100%|completely|perfectly|absolutely)\s+secure")
         + r"|" + _any(r"guarantee\w*\s+(?:the\s+)?security")),
    ],
    "Policy Change": [
        ("changes_to_policy", _any(r"(?:changes?|updates?|modif\w+|amend\w*|revis\w+)\s+"
                                   r"(?:to\s+|of\s+)?(?:this|our|the)\s+(?:privacy\s+)?"
                                   r"(?:policy|statement|notice)")),
    ],
    "Do Not Track": [
        ("do_not_track", _any("do[- ]not[- ]track", "dnt")),
    ],
    "International and Specific Audiences": [
        ("children", _any("children", "child", "kids", "minors?", "coppa",
                          "under (?:the age of )?1[3-8]")),
        ("regions", _any("california", "shine the light", "ccpa", "gdpr",
                         "european (?:union|economic area)", "eea", "eu")),
        ("transfer_abroad", _any(r"(?:transfer|stor|process)\w*") + r"[^.;]{0,60}?"
         + _any("other countries", "another country", "outside (?:of )?(?:your|the)",
                "across borders", "internationally")),
    ],
    "Introductory/Generic": [
        ("policy_describes", _any(r"this\s+(?:privacy\s+)?(?:policy|statement|notice)\s+"
                                  "(?:describes|explains|applies|sets out|covers|tells|informs|outlines)")),
        ("value_privacy", _any(r"(?:respect|value|committed to (?:protecting )?)\s+your\s+privacy",
                               "your privacy is important")),
        ("dates", _any(r"(?:last|latest)\s+(?:updated|modified|revised|changed)",
                       r"effective\s+(?:date|as of)")),
        # a title: at most four words before "privacy policy" and nothing after it
        ("title", r"^\W*(?:[\w'&.-]+\s+){0,4}privacy\s+(?:policy|statement|notice)\W*$"),
        ("by_using", _any(r"by\s+(?:using|accessing|visiting|browsing)\s+(?:this|our|the)\s+"
                          r"(?:web\s*site|site|services?|app)")),
    ],
    "Practice not covered": [
        ("other_sites", _any(r"links?\s+to\s+(?:other|external)\s+(?:web\s*)?sites?",
                             "not responsible for the")),
        ("legal_terms", _any("governed by the laws?", "arbitration", "dispute resolution",
                             "jurisdiction", "terms of (?:use|service)")),
    ],
    "Privacy contact information": [
        ("email", r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
        ("contact_us", _any(r"contact\s+us", r"(?:questions|concerns|comments)\s+(?:about|regarding|"
                            r"concerning)\s+(?:this|our)", r"(?:privacy|data protection)\s+officer")),
        # a phone number such as (555) 010-0199 or 555.010.0199
        ("phone_post", _any("call us", "toll[- ]free", "write to us",
                            r"by (?:mail|post|phone|telephone) at")
         + r"|\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b"),
    ],
}
# fmt: on


class _Tagger:
    """Shared plumbing: one-unit vs many-unit calls, and ``predict`` from scores."""

    name = "tagger"
    labels: tuple[str, ...] = LABELS
    thresholds: np.ndarray

    def _scores(self, texts: list[str]) -> np.ndarray:  # (n, n_labels)
        raise NotImplementedError

    def predict_proba(self, units: Unit | Sequence[Unit]) -> np.ndarray:
        """Scores in [0, 1]: shape (n_units, n_labels), or (n_labels,) for a single unit."""
        single = isinstance(units, str | Mapping)
        texts = [unit_text(u) for u in ([units] if single else units)]
        scores = self._scores(texts) if texts else np.zeros((0, len(self.labels)))
        return scores[0] if single else scores

    def predict(self, units: Unit | Sequence[Unit]) -> list[str] | list[list[str]]:
        """Label names whose score reaches the label's threshold (per unit)."""
        proba = self.predict_proba(units)
        rows = np.atleast_2d(proba) >= self.thresholds
        names = [[self.labels[j] for j in np.flatnonzero(r)] for r in rows]
        return names[0] if proba.ndim == 1 else names


class RuleTagger(_Tagger):
    """Keyword and regular-expression rules per label; nothing is learned.

    Args:
        rules: ``{label: [(rule_name, pattern), ...]}``; default: privtag's own rules.
        name: shown in result tables.

    Example:
        >>> tagger = RuleTagger()
        >>> tagger.predict(["We use cookies.", "Hello."])
        [['First Party Collection/Use'], []]
        >>> tagger.fired("Write to privacy@example.org.")
        ['Privacy contact information/email']
    """

    def __init__(self, rules: dict[str, list[tuple[str, str]]] | None = None, name: str = "rules"):
        self.rules = rules
        self.name = name

    @property
    def thresholds(self) -> np.ndarray:
        return np.full(len(self.labels), 0.5)

    def _compiled(self) -> list[list[tuple[str, re.Pattern]]]:
        # Compiled lazily (and cached by ``re``) so the constructor only stores arguments.
        rules = RULES if self.rules is None else self.rules
        unknown = set(rules) - set(self.labels)
        if unknown:
            raise ValueError(f"rules for unknown labels: {sorted(unknown)}")
        return [
            [(n, re.compile(p, re.IGNORECASE)) for n, p in rules.get(lab, [])]
            for lab in self.labels
        ]

    def fired(self, text: str) -> list[str]:
        """Names (``label/rule``) of the rules that match ``text``: why a label was given."""
        return [
            f"{lab}/{n}"
            for lab, rs in zip(self.labels, self._compiled(), strict=True)
            for n, p in rs
            if p.search(text)
        ]

    def _scores(self, texts: list[str]) -> np.ndarray:
        compiled = self._compiled()
        hits = np.array([[sum(bool(p.search(t)) for _, p in rs) for rs in compiled] for t in texts])
        return 1.0 - 0.5**hits


class TfidfTagger(_Tagger):
    """Word + bigram TF-IDF features, one logistic regression per label, tuned thresholds.

    Args:
        C: inverse regularisation strength of each logistic regression.
        min_df: drop n-grams seen in fewer training units.
        class_weight: ``"balanced"`` reweights the rare positives of each label.
        seed: random state of the solver (results are deterministic given the seed).
        name: shown in result tables.

    Why these defaults: in 4-fold cross-validation over OPP-115's training policies
    (segments, grouped by policy), C in {1, 4, 16} with balanced weights were within half a
    point of micro-F1 of each other; without class weights macro-F1 fell by 9 to 43
    points, because the rare labels were almost never predicted.

    Learned by :meth:`fit`: ``labels``, ``vocabulary_`` (list of n-grams), ``idf_``
    (n_features,), ``coef_`` (n_labels, n_features), ``intercept_`` (n_labels,),
    ``thresholds`` (n_labels,).

    Example:
        >>> tagger = TfidfTagger(min_df=1).fit(train_ds, validation_ds)  # doctest: +SKIP
        >>> tagger.save("models/tfidf"); TfidfTagger.load("models/tfidf")  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        C: float = 4.0,
        min_df: int = 2,
        class_weight: str | None = "balanced",
        seed: int = 0,
        name: str = "tfidf",
    ):
        self.C = C
        self.min_df = min_df
        self.class_weight = class_weight
        self.seed = seed
        self.name = name

    def _vectorizer(self, vocabulary: dict[str, int] | None = None):
        require("train", "sklearn")
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(
            ngram_range=(1, 2),
            min_df=1 if vocabulary else self.min_df,
            sublinear_tf=True,
            strip_accents="unicode",
            vocabulary=vocabulary,
        )

    def fit(self, train: Dataset, validation: Dataset | None = None) -> TfidfTagger:
        """Learn features and weights on ``train``; tune thresholds on ``validation``.

        Args:
            train, validation: datasets with :data:`privtag.data.FEATURES`. Thresholds are
                tuned by :func:`privtag.training.thresholds.tune_thresholds`, as the fine-tuned
                tagger's are; without ``validation`` every threshold is 0.5.

        Returns:
            self.

        Raises:
            DataError: empty training data, or the two datasets use different label sets.
        """
        from sklearn.linear_model import LogisticRegression

        self.labels = tuple(train.features["labels"].feature.names)
        if validation is not None:
            check_labels(validation, self.labels)
        if len(train) == 0:
            raise DataError("cannot fit the TF-IDF tagger: the training dataset is empty")
        self._vec = vectorizer = self._vectorizer()
        x = vectorizer.fit_transform(train["text"])
        y = reference_matrix(train, len(self.labels))
        self.vocabulary_ = list(vectorizer.get_feature_names_out())
        self.idf_ = vectorizer.idf_.astype(np.float64)
        self.coef_ = np.zeros((len(self.labels), x.shape[1]))
        self.intercept_ = np.zeros(len(self.labels))
        for j in range(len(self.labels)):
            if y[:, j].min() == y[:, j].max():
                # A label that is always (or never) present: a constant score, no solver.
                self.intercept_[j] = 20.0 if y[0, j] else -20.0
                continue
            model = LogisticRegression(
                C=self.C, class_weight=self.class_weight, solver="liblinear", random_state=self.seed
            )
            model.fit(x, y[:, j])
            self.coef_[j], self.intercept_[j] = model.coef_[0], model.intercept_[0]
        self.thresholds = np.full(len(self.labels), 0.5)
        if validation is not None and len(validation):
            self.thresholds = tune_thresholds(
                self.predict_proba(validation["text"]),
                reference_matrix(validation, len(self.labels)),
            )
        return self

    def _scores(self, texts: list[str]) -> np.ndarray:
        if not hasattr(self, "coef_"):
            raise RuntimeError(
                "this TfidfTagger is not fitted yet: call fit() or TfidfTagger.load()"
            )
        if not hasattr(self, "_vec"):  # rebuilt from the stored vocabulary and idf
            self._vec = self._vectorizer({t: i for i, t in enumerate(self.vocabulary_)})
            self._vec.idf_ = self.idf_
        z = self._vec.transform(texts) @ self.coef_.T + self.intercept_
        return 1.0 / (1.0 + np.exp(-z))

    def save(self, directory: str | Path) -> Path:
        """Write ``config.json``, ``vocabulary.json`` and ``weights.npz`` (no pickle)."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        config = {
            "type": "privtag.evaluation.baselines.TfidfTagger",
            "labels": list(self.labels),
            "C": self.C,
            "min_df": self.min_df,
            "class_weight": self.class_weight,
            "seed": self.seed,
            "name": self.name,
        }
        (d / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        (d / "vocabulary.json").write_text(
            json.dumps(self.vocabulary_, ensure_ascii=False), encoding="utf-8"
        )
        np.savez_compressed(
            d / "weights.npz",
            idf=self.idf_,
            coef=self.coef_,
            intercept=self.intercept_,
            thresholds=self.thresholds,
        )
        return d

    @classmethod
    def load(cls, directory: str | Path) -> TfidfTagger:
        """Read a directory written by :meth:`save`.

        Raises:
            ModelLoadError: missing or inconsistent files.
        """
        d = Path(directory)
        if not (d / "config.json").is_file():
            raise ModelLoadError(
                f"{d}: not a TF-IDF baseline directory (no config.json); make one with "
                "`privtag baseline --train ANNOTATIONS --out DIR`"
            )
        try:
            config = json.loads((d / "config.json").read_text(encoding="utf-8"))
            vocabulary = json.loads((d / "vocabulary.json").read_text(encoding="utf-8"))
            with np.load(d / "weights.npz", allow_pickle=False) as w:
                arrays = {k: w[k] for k in ("idf", "coef", "intercept", "thresholds")}
        except (OSError, ValueError, KeyError) as e:
            raise ModelLoadError(
                f"{d}: not a TF-IDF baseline directory written by `privtag baseline` or "
                f"TfidfTagger.save ({e}); make it again"
            ) from e
        n, v = len(config["labels"]), len(vocabulary)
        if (
            arrays["coef"].shape != (n, v)
            or arrays["idf"].shape != (v,)
            or arrays["thresholds"].shape != (n,)
        ):
            raise ModelLoadError(
                f"{d}: weights.npz does not match {n} labels and {v} vocabulary entries"
            )
        tagger = cls(
            C=config["C"],
            min_df=config["min_df"],
            class_weight=config["class_weight"],
            seed=config["seed"],
            name=config.get("name", "tfidf"),
        )
        tagger.labels = tuple(config["labels"])
        tagger.vocabulary_, tagger.idf_ = vocabulary, arrays["idf"]
        tagger.coef_, tagger.intercept_ = arrays["coef"], arrays["intercept"]
        tagger.thresholds = arrays["thresholds"]
        return tagger

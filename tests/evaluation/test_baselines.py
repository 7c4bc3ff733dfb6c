"""The rule and TF-IDF baselines, on sentences written for these tests."""

from __future__ import annotations

import json

import numpy as np
import pytest
from datasets import ClassLabel, Dataset, Features, Sequence

from privtag.data import FEATURES, to_dataset
from privtag.errors import DataError, ModelLoadError
from privtag.evaluation.baselines import RULES, RuleTagger, TfidfTagger
from privtag.labels import LABELS


def toy(fixtures, policies=None):
    rows = [json.loads(line) for line in (fixtures / "eval_toy.jsonl").open(encoding="utf-8")]
    return to_dataset([r for r in rows if policies is None or r["policy"] in policies])


# rule -> (a sentence it must fire on, a near miss it must not fire on)
CASES = {
    "we_collect": (
        "We may collect your phone number at checkout.",
        "You can collect loyalty stamps at any branch.",
    ),
    "cookies": (
        "Our site places cookies on your device.",
        "Use the tracking number to follow your parcel.",
    ),
    "third_party": (
        "Some reports are sent to third parties.",
        "This is the third part of the setup guide.",
    ),
    "share_with": (
        "We may share your e-mail address with our partners.",
        "Share this article with your friends.",
    ),
    "ad_analytics": (
        "Advertising networks may show you offers based on your visits.",
        "We advertise our shoes on the radio.",
    ),
    "opt_out": ("You can opt out of promotional messages.", "Our optician can check your eyes."),
    "unsubscribe": (
        "Follow the unsubscribe link to stop the newsletter.",
        "Subscribe to our newsletter for weekly recipes.",
    ),
    "consent": (
        "You may withdraw your consent at any time.",
        "The consent form for the school trip is attached.",
    ),
    "settings": (
        "You can change your privacy settings at any time.",
        "Change the display settings to dark mode.",
    ),
    "access_edit": (
        "You may update your profile from the account page.",
        "Update your browser to the latest version.",
    ),
    "close_account": (
        "You can deactivate your account whenever you like.",
        "Your account balance is shown at the top of the page.",
    ),
    "data_rights": (
        "You have the right to rectification of wrong data.",
        "You have the right to remain silent.",
    ),
    "retain": (
        "We retain billing records as the law requires.",
        "The retaining wall in the garden needs repair.",
    ),
    "period": ("Server logs are kept for 30 days.", "Shipping usually takes 5 business days."),
    "delete_after": (
        "Inactive accounts are deleted after two years.",
        "Delete the app if you no longer need it.",
    ),
    "encryption": ("Passwords are stored encrypted.", "The cryptic crossword appears on Sundays."),
    "safeguards": (
        "We use technical safeguards to protect your records.",
        "Wear safety goggles in the workshop.",
    ),
    "no_guarantee": (
        "No method of storage is perfectly secure.",
        "We do not guarantee delivery dates.",
    ),
    "changes_to_policy": (
        "We may make changes to this privacy policy.",
        "Changes to your order can be made until it ships.",
    ),
    "do_not_track": (
        "We do not respond to Do Not Track signals.",
        "Please do not forget to track your order.",
    ),
    "children": (
        "Our games are not meant for kids.",
        "Orders under 20 dollars ship for a small fee.",
    ),
    "regions": (
        "Residents of the European Union have extra rights.",
        "Our office moved to Nevada last year.",
    ),
    "transfer_abroad": (
        "Records may be stored outside your country.",
        "Money transfers are processed within one day.",
    ),
    "policy_describes": (
        "This policy describes how we treat information.",
        "This notice was printed on recycled paper.",
    ),
    "value_privacy": ("Your privacy is important to us.", "Close the curtains for more privacy."),
    "dates": (
        "This page was last revised on 1 May 2026.",
        "The effective way to learn is practice.",
    ),
    "title": ("Acme Kiosks Privacy Policy", "Read our privacy policy before you sign up."),
    "request_change": (
        "You may request that we delete your records.",
        "You may request a brochure by post.",
    ),
    "by_using": (
        "By visiting our website you agree to this policy.",
        "By using a ladder you can reach the top shelf.",
    ),
    "other_sites": (
        "The newsletter includes links to external sites.",
        "Click the links below to reach other pages of our shop.",
    ),
    "legal_terms": (
        "These terms are governed by the laws of Ireland.",
        "The court is open to visitors on weekdays.",
    ),
    "email": ("Write to dpo@example.org for help.", "Follow us @example on social media."),
    "contact_us": (
        "If you have questions about this policy, contact us.",
        "Contact lenses are sold in our optics department.",
    ),
    "phone_post": ("Call us at (555) 010-0199.", "Our 24-hour gym has 300 machines."),
}
RULE_LABEL = {name: label for label, rules in RULES.items() for name, _ in rules}


def test_every_rule_has_a_case():
    assert set(CASES) == set(RULE_LABEL)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_on_its_sentence_and_not_on_a_near_miss(rule):
    tagger = RuleTagger()
    positive, near_miss = CASES[rule]
    label = RULE_LABEL[rule]
    assert f"{label}/{rule}" in tagger.fired(positive)
    assert label in tagger.predict(positive)
    assert f"{label}/{rule}" not in tagger.fired(near_miss)


def test_rule_tagger_shapes_and_units():
    tagger = RuleTagger()
    assert tagger.predict_proba("We use cookies.").shape == (len(LABELS),)
    assert tagger.predict_proba(["a", {"text": "b", "section": ["x"]}]).shape == (2, len(LABELS))
    assert tagger.predict_proba([]).shape == (0, len(LABELS))
    assert tagger.predict({"text": "Our kiosks are painted blue."}) == []
    # two rules of one label give a higher score than one
    one, two = tagger.predict_proba(["We retain logs.", "We retain logs for 30 days."])
    assert two[LABELS.index("Data Retention")] > one[LABELS.index("Data Retention")] >= 0.5


def test_rules_for_unknown_labels_are_refused():
    with pytest.raises(ValueError, match="unknown labels"):
        RuleTagger(rules={"Cookies": [("c", "cookie")]}).predict("cookie")


def test_tfidf_constructor_only_stores_arguments():
    tagger = TfidfTagger(C=2.0, min_df=1, seed=3)
    assert vars(tagger) == {
        "C": 2.0,
        "min_df": 1,
        "class_weight": "balanced",
        "seed": 3,
        "name": "tfidf",
    }
    with pytest.raises(RuntimeError, match="not fitted"):
        tagger.predict("We use cookies.")


def test_tfidf_learns_and_is_deterministic(fixtures):
    train = toy(fixtures)
    a = TfidfTagger(min_df=1).fit(train, train)
    b = TfidfTagger(min_df=1).fit(train, train)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.thresholds, b.thresholds)
    assert a.thresholds.shape == (len(LABELS),) and ((a.thresholds > 0) & (a.thresholds < 1)).all()
    # it fits its own training data well (a sanity check, not a measure of quality)
    predicted = a.predict(list(train["text"]))
    gold = [[LABELS[j] for j in row] for row in train["labels"]]
    assert sum(p == g for p, g in zip(predicted, gold, strict=True)) >= 0.8 * len(gold)


def test_tfidf_save_load_gives_identical_scores_without_pickle(fixtures, tmp_path):
    train = toy(fixtures)
    tagger = TfidfTagger(min_df=1).fit(train, train)
    units = [*train["text"], "A sentence with words it has never seen, like zeppelin."]
    tagger.save(tmp_path / "tfidf")
    assert sorted(p.name for p in (tmp_path / "tfidf").iterdir()) == [
        "config.json",
        "vocabulary.json",
        "weights.npz",
    ]
    np.load(tmp_path / "tfidf" / "weights.npz", allow_pickle=False)  # plain arrays only
    loaded = TfidfTagger.load(tmp_path / "tfidf")
    np.testing.assert_array_equal(loaded.predict_proba(units), tagger.predict_proba(units))
    assert loaded.predict(units) == tagger.predict(units)
    assert loaded.labels == tagger.labels and loaded.name == "tfidf"


def test_tfidf_load_refuses_a_broken_directory(tmp_path):
    with pytest.raises(ModelLoadError, match=r"not a TF-IDF baseline directory \(no config"):
        TfidfTagger.load(tmp_path)  # and it says how to make one
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelLoadError, match="not a TF-IDF baseline directory written by"):
        TfidfTagger.load(tmp_path)


def test_tfidf_fit_refuses_a_validation_set_with_other_labels(fixtures):
    train = toy(fixtures)
    features = Features({**FEATURES, "labels": Sequence(ClassLabel(names=["a", "b"]))})
    other = Dataset.from_dict({k: [] for k in features}, features=features)
    with pytest.raises(DataError, match="label sets differ"):
        TfidfTagger(min_df=1).fit(train, other)

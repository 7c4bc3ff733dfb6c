"""The web service: page, JSON API, limits and errors, on a tiny model through TestClient."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from privtag.errors import PrivtagError
from privtag.labels import LABELS, NUM_LABELS
from privtag.serve.app import create_app

POLICY = "# Privacy\n\nWe collect your e-mail address. We share it with advertisers.\n"


@pytest.fixture(scope="module")
def tagger(trained_tiny, tiny_encoder):
    from privtag.inference.tagger import Tagger

    return Tagger.load(trained_tiny, base=tiny_encoder)


@pytest.fixture(scope="module")
def client(tagger):
    return TestClient(create_app(tagger))


def test_tag_returns_sentences_paragraphs_and_summary(client, tagger):
    r = client.post("/api/tag", json={"text": POLICY, "format": "markdown"})
    assert r.status_code == 200, r.text
    data = r.json()
    expected = tagger.tag(POLICY.encode(), format="markdown")
    assert [s["text"] for s in data["sentences"]] == [s.text for s in expected.sentences]
    first = data["sentences"][1]
    assert {"start", "end", "text", "labels", "scores", "section"} <= set(first)
    assert POLICY.replace("# ", "")[first["start"] : first["end"]] != ""
    assert first["section"] == ["Privacy"]
    assert first["scores"] == expected.sentences[1].scores
    assert [p["labels"] for p in data["paragraphs"]] == [p.labels for p in expected.paragraphs]
    assert [row["label"] for row in data["summary"]] == list(LABELS)
    assert {row["status"] for row in data["summary"]} <= {
        "addressed",
        "weak evidence",
        "not addressed",
    }
    assert data["model"]["name"] == tagger.name
    assert len(data["model"]["thresholds"]["sentence"]) == NUM_LABELS


def test_a_request_never_reads_a_server_file(client):
    r = client.post("/api/tag", json={"text": "/etc/passwd"})
    assert r.status_code == 200, r.text
    assert [s["text"] for s in r.json()["sentences"]] == ["/etc/passwd"]
    assert "root:" not in r.text
    r = client.post("/report", data={"text": "/etc/passwd", "format": "auto"})
    assert r.status_code == 200 and "root:" not in r.text


def test_predict_scores_each_text(client, tagger):
    texts = ["We share your data with advertisers.", "You may opt out. Write to us."]
    r = client.post("/api/predict", json={"texts": texts})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["label_order"] == list(LABELS)
    assert data["labels"] == tagger.predict(texts)
    assert [len(row) for row in data["scores"]] == [NUM_LABELS, NUM_LABELS]
    expected = tagger.predict_proba(texts)
    assert data["scores"][1] == pytest.approx(expected[1].tolist(), abs=1e-4)
    assert client.post("/api/predict", json={"texts": []}).json()["labels"] == []


def test_bad_format_and_empty_text_get_422_with_a_message(client):
    r = client.post("/api/tag", json={"text": "We keep logs.", "format": "pdf"})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("format: Input should be 'auto', 'text', 'markdown'")
    r = client.post("/api/tag", json={"format": "text"})
    assert r.status_code == 422 and r.json()["detail"] == "text: Field required"
    r = client.post("/api/tag", json={"text": "   "})
    assert r.status_code == 422 and "no text" in r.json()["detail"].lower()
    r = client.post("/report", data={"text": "x", "format": "pdf"})
    assert r.status_code == 422 and "format must be one of auto, text, markdown, html" in r.text


def test_odd_request_bodies_get_a_422_that_says_what_to_send(client):
    def post(path, body, **headers):
        return client.post(path, content=body, headers={"content-type": "application/json",
                                                         **headers})  # fmt: skip

    r = post("/api/tag", '{"text": NaN}')  # what json.dumps writes for a missing value
    assert r.status_code == 422 and r.json()["detail"] == "text: Input should be a valid string"
    r = post("/api/predict", '{"texts": ["We share.", NaN]}')
    assert r.status_code == 422 and r.json()["detail"].startswith("texts.1: ")
    r = post("/api/tag", '{"text": "We share')
    assert r.status_code == 422
    assert r.json()["detail"].startswith("body: invalid JSON at character ")
    r = post("/api/tag", '{"text": "We share."}', **{"content-type": "text/plain"})
    assert r.status_code == 422 and "Content-Type: application/json" in r.json()["detail"]
    r = client.post("/api/tag", json={"text": "We share.", "thresholds": "bogus"})
    assert r.status_code == 422 and r.json()["detail"].startswith("thresholds: Extra inputs")


def test_a_body_that_cannot_be_parsed_gets_a_400_that_says_why(client):
    headers = {"content-type": "application/json"}
    r = client.post("/api/tag", content='{"text": "café"}'.encode("latin-1"), headers=headers)
    assert r.status_code == 400
    assert r.json()["detail"].startswith("body: byte 13 is not UTF-8 (invalid continuation")
    r = client.post("/api/predict", content=b"[" * 200_000, headers=headers)
    assert r.status_code == 400 and "nested too deeply" in r.json()["detail"]
    # other HTTP errors keep their own answers
    assert client.get("/nope").json() == {"detail": "Not Found"}
    assert client.get("/api/tag").status_code == 405


def test_a_lone_surrogate_is_text_not_a_server_error(client):
    r = client.post(
        "/api/tag",
        content=b'{"text": "We share your e-mail \\ud800 with advertisers."}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert "\ufffd" in r.json()["sentences"][0]["text"]


def test_predict_takes_at_most_max_units(client):
    from privtag.serve.app import MAX_UNITS

    r = client.post("/api/predict", json={"texts": ["We share."] * (MAX_UNITS + 1)})
    assert r.status_code == 422 and r.json()["detail"].startswith(
        f"texts: List should have at most {MAX_UNITS} items"
    )


def test_bodies_over_the_limit_get_413(tagger):
    small = TestClient(create_app(tagger, max_bytes=1000))
    r = small.post("/api/tag", json={"text": "We keep logs. " * 100})
    assert r.status_code == 413
    assert "larger than the limit of 1,000 bytes" in r.json()["detail"]

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"text": "'
        for _ in range(100):
            yield b"We keep logs. "
        yield b'"}'

    r = small.post("/api/tag", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413, r.status_code
    assert small.post("/api/tag", json={"text": "We keep logs."}).status_code == 200


def test_page_form_and_script(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert '<textarea id="text" name="text"' in r.text
    assert '<script src="/page.js" defer></script>' in r.text
    assert "http://" not in r.text and "https://" not in r.text
    assert "FileReader" in client.get("/page.js").text
    evil = "We never run code. <script>window.pwned = 1</script> Really."
    r = client.post("/report", data={"text": evil, "format": "text"})
    assert r.status_code == 200
    assert "<script>window" not in r.text
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in r.text  # in the box and report
    assert 'id="report"' in r.text and 'id="label-third_party"' in r.text


def test_health_and_docs(client):
    assert client.get("/healthz").json()["status"] == "ok"
    docs = client.get("/docs")
    assert docs.status_code == 200
    # offline: the page names every route and loads nothing from another host
    assert "POST /api/tag" in docs.text and "GET /healthz" in docs.text
    assert "<code>texts</code>" in docs.text  # /api/predict's request field
    assert "http://" not in docs.text and "https://" not in docs.text
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/tag", "/api/predict", "/healthz"} <= set(paths)
    # the refusals a client must handle are described, with the body they carry
    for route in ("/api/tag", "/api/predict"):
        assert {"200", "400", "413", "422"} <= set(paths[route]["post"]["responses"])
    assert "413 the body is larger than --max-bytes" in docs.text
    refused = client.post("/api/tag", json={"text": "We keep logs.", "colour": "red"})
    assert refused.status_code == 422 and isinstance(refused.json()["detail"], str)


def test_concurrent_requests_get_their_own_answers(client):
    texts = [f"We keep your data for {n} days. We share it with partner {n}." for n in range(6)]
    results: dict[int, list] = {}

    def ask(i):
        r = client.post("/api/tag", json={"text": texts[i], "format": "text"})
        results[i] = [s["text"] for s in r.json()["sentences"]]

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, text in enumerate(texts):
        assert " ".join(results[i]) == text.strip()


def test_privtag_does_not_import_fastapi():
    code = "import privtag, privtag.cli, sys; print('fastapi' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_extra_is_one_line_naming_it(monkeypatch):
    from privtag.cli import app

    monkeypatch.setitem(sys.modules, "uvicorn", None)
    result = CliRunner().invoke(app, ["serve"])
    assert isinstance(result.exception, PrivtagError)
    assert str(result.exception) == (
        "the web service needs uvicorn, which is not installed; "
        "install it with: pip install 'privtag[serve]'"
    )


def test_an_address_it_cannot_listen_on_is_refused_before_serving():
    import socket

    from privtag.cli import app

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--port", str(port)])
    words = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in words
    assert "serving on" not in result.output
    result = CliRunner().invoke(app, ["serve", "--port", "99999"])
    assert result.exit_code == 2 and "Invalid value for '--port'" in result.output
    result = CliRunner().invoke(app, ["serve", "--max-bytes", "-5"])
    assert result.exit_code == 2 and "Invalid value for '--max-bytes'" in result.output


def test_api_tag_reports_the_thresholds_that_decided_the_policy(trained_tiny, tiny_encoder):
    from privtag.inference.tagger import Tagger

    tagger = Tagger.load(trained_tiny, base=tiny_encoder)  # its own: the profile changes
    tagger.thresholds["profiles"] = {"low": {"scale": 0.5}}
    tagger.thresholds["auto"] = {"gdpr_era": "low"}
    client = TestClient(create_app(tagger))
    text = POLICY + "\nOur legal basis under the GDPR is consent.\n"
    data = client.post("/api/tag", json={"text": text, "format": "markdown"}).json()
    assert data["decision"]["profile"] == "low"
    assert data["model"]["profile"].startswith("low (auto: the policy names GDPR")
    want = tagger.decision_thresholds("low")[0]
    got = [data["model"]["thresholds"]["sentence"][name] for name in LABELS]
    assert got == pytest.approx(want.tolist(), abs=1e-4)
    assert data["decision"]["thresholds"]["sentence"] == pytest.approx(want.tolist())


def test_report_with_a_json_body_says_what_it_takes(client):
    r = client.post("/report", json={"text": "We share your data."})
    assert r.status_code == 415
    assert "takes the page&#x27;s form" in r.text or "takes the page's form" in r.text
    assert "send JSON to /api/tag" in r.text and "has no text" not in r.text


def test_a_predict_item_the_size_of_a_policy_is_refused_before_scoring(client):
    from privtag.serve.app import MAX_UNIT_CHARS

    r = client.post("/api/predict", json={"texts": ["We sell data. " * (MAX_UNIT_CHARS // 10)]})
    assert r.status_code == 422
    assert f"at most {MAX_UNIT_CHARS}" in r.json()["detail"] and "texts.0" in r.json()["detail"]
    r = client.post("/api/predict", json={"texts": ["We sell data."]})
    assert r.status_code == 200

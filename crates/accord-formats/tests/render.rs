//! Rendering a small fixture: snapshots of the Markdown and HTML text.

#![allow(clippy::unwrap_used)]

use accord_core::text;
use accord_formats::{render, scenario};

fn fixture() -> accord_core::Negotiation {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/harbour.toml");
    scenario::read_file(path).unwrap()
}

#[test]
fn markdown_of_the_draft() {
    let n = fixture();
    insta::assert_snapshot!(render::markdown(&n, &n.draft_package()).unwrap());
}

#[test]
fn html_of_another_package() {
    let n = fixture();
    let package = n.package_from_pairs([("fees", "by-use"), ("berths", "10")]).unwrap();
    insta::assert_snapshot!(render::html(&n, &package).unwrap());
}

#[test]
fn rendered_text_carries_the_version_hash_and_no_profile() {
    let n = fixture();
    assert!(n.profiles.iter().any(|p| p.illustrative));
    let package = n.draft_package();
    let hash = text::render(&n, &package).unwrap().content_hash_hex();
    for rendered in [render::markdown(&n, &package).unwrap(), render::html(&n, &package).unwrap()] {
        assert!(rendered.contains(&hash));
        let lower = rendered.to_lowercase();
        for secret in ["illustrative", "profile", "reservation", "invented", "weight"] {
            assert!(!lower.contains(secret), "rendered text mentions {secret:?}");
        }
    }
}

#[test]
fn html_escapes_every_piece_of_text() {
    let mut n = fixture();
    n.provisions[0].heading = "<script>alert(1)</script>".into();
    n.provisions[0].body = "a < b & \"c\" 'd'".into();
    let html = render::html(&n, &n.draft_package()).unwrap();
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("a &lt; b &amp; &quot;c&quot; &#39;d&#39;"));
    assert!(html.contains("<title>Agreement on the Shared Use of Port &lt;Nord&gt; &amp; Its Approaches</title>"));
}

#[test]
fn different_packages_have_different_hashes() {
    let n = fixture();
    let draft = render::markdown(&n, &n.draft_package()).unwrap();
    let other = render::markdown(&n, &n.package_from_pairs([("berths", "6")]).unwrap()).unwrap();
    assert_ne!(draft.lines().nth(2), other.lines().nth(2));
    assert!(other.contains("South may use 6 berths along the east quay."));
}

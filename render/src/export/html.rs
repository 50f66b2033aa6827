//! `index.html`: the write-up opened from disk, plots beside it.

use super::page::Template;
use crate::sections::Format;

pub const HTML: Template = Template {
    file_name: "index.html",
    template: "index.html.tera",
    format: Format::Html,
};

/// The `spans` filter: prose written with Markdown's backticks (the same sentence lab12.md
/// shows) as HTML, escaped, each `…` span a `<code>`; an unpaired backtick stays as it is.
/// Its output is already escaped, so the template marks it `| safe`.
pub fn spans_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let text = value.as_str().unwrap_or_default();
    Ok(tera::Value::String(spans(text)))
}

fn spans(text: &str) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let pieces: Vec<&str> = text.split('`').collect();
    // An even count of backticks splits into an odd count of pieces: every odd piece
    // was inside a span. Otherwise the text is left as it was.
    if pieces.len().is_multiple_of(2) {
        return escape(text);
    }
    pieces
        .iter()
        .enumerate()
        .map(|(i, p)| match i % 2 {
            1 => format!("<code>{}</code>", escape(p)),
            _ => escape(p),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn backtick_spans_become_code_and_the_rest_is_escaped() {
        assert_eq!(
            super::spans("run `ctr <x>` & go"),
            "run <code>ctr &lt;x&gt;</code> &amp; go"
        );
        assert_eq!(super::spans("one ` alone <b>"), "one ` alone &lt;b&gt;");
    }
}

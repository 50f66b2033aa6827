//! `lab12.md`: the same write-up in the lab's section structure, ready to hand in. Tool
//! output reaches it through the `md` filter, which keeps table cells whole and inline HTML
//! inert.

use super::page::Template;
use crate::sections::Format;
use std::collections::HashMap;

pub const MARKDOWN: Template = Template {
    file_name: "lab12.md",
    template: "lab12.md.tera",
    format: Format::Markdown,
};

/// The `md` filter: escapes what would break a table cell or become markup.
pub fn md_filter(
    value: &tera::Value,
    _: &HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    Ok(tera::Value::String(escape(&text_of(value))))
}

/// The `code` filter: an inline code span that nothing in the text can close early, so a
/// command holding backticks or markup stays a literal (CommonMark: the fence is one
/// backtick longer than the longest run inside, padded when the text touches a backtick).
pub fn code_filter(
    value: &tera::Value,
    _: &HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    Ok(tera::Value::String(code_span(&text_of(value))))
}

/// A template value as text: a string as it is, nothing as nothing, anything else as JSON.
fn text_of(value: &tera::Value) -> String {
    match value {
        tera::Value::String(s) => s.clone(),
        tera::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn code_span(text: &str) -> String {
    let text = text.replace(['\n', '\r'], " ");
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_backtick_in_a_command_cannot_end_its_code_span() {
        assert_eq!(super::code_span("docker run x"), "`docker run x`");
        assert_eq!(
            super::code_span("echo `<img src=x onerror=alert(1)>`"),
            "`` echo `<img src=x onerror=alert(1)>` ``"
        );
        assert_eq!(super::code_span("a ``b`` c\nd"), "```a ``b`` c d```");
    }

    #[test]
    fn cells_stay_whole_and_markup_inert() {
        assert_eq!(super::escape("a|b\n<script>&"), "a\\|b &lt;script&gt;&amp;");
    }
}

//! Row and legend labels that fit a chart and stay apart. The rule: a label loses its
//! parenthetical asides, except those that tell it from another label of the same chart
//! that would otherwise read the same; a label still longer than the chart fits loses
//! words from its middle, never its start or end, unless that would make it read like
//! another one, in which case it keeps them.

/// The longest label, in characters, a wide chart's label area holds at its font.
pub const FITS: usize = 72;

/// The short form of each of `labels`, in order, at most `fits` characters where that
/// keeps them apart; distinct labels stay distinct.
pub fn short(labels: &[&str], fits: usize) -> Vec<String> {
    let plain: Vec<String> = labels
        .iter()
        .map(|l| keep_asides(l, |_, _| false))
        .collect();
    let kept: Vec<String> = labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let twins: Vec<Vec<String>> = (0..labels.len())
                .filter(|&j| j != i && plain[j] == plain[i])
                .map(|j| asides(labels[j]))
                .collect();
            if twins.is_empty() {
                plain[i].clone()
            } else {
                // An aside stays when some twin's aside at that place differs from it.
                keep_asides(label, |k, aside| {
                    twins
                        .iter()
                        .any(|t| t.get(k).map(String::as_str) != Some(aside))
                })
            }
        })
        .collect();
    let cut: Vec<String> = kept.iter().map(|l| elide_middle(l, fits)).collect();
    let windows: Vec<String> = kept
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let twins: Vec<&str> = (0..kept.len())
                .filter(|&j| j != i && cut[j] == cut[i])
                .map(|j| kept[j].as_str())
                .collect();
            if twins.is_empty() {
                cut[i].clone()
            } else {
                window(k, &twins, fits)
            }
        })
        .collect();
    // A label whose short form still meets another's stays whole.
    windows
        .iter()
        .zip(&kept)
        .map(|(w, k)| {
            if windows.iter().filter(|other| *other == w).count() > 1 {
                k.clone()
            } else {
                w.clone()
            }
        })
        .collect()
}

/// At most `fits` characters of `label` around where it first differs from `twins` (the
/// labels its middle-elided form met): the part that tells it apart, with an ellipsis at
/// each end that was cut.
fn window(label: &str, twins: &[&str], fits: usize) -> String {
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= fits {
        return label.to_owned();
    }
    let differs_at = twins
        .iter()
        .map(|t| {
            chars
                .iter()
                .zip(t.chars())
                .take_while(|(a, b)| **a == *b)
                .count()
        })
        .min()
        .unwrap_or(0);
    // A little of what comes before the difference, for context.
    let start = differs_at
        .saturating_sub(fits / 4)
        .min(chars.len() - (fits - 2));
    let end = (start + fits - 2).min(chars.len());
    let lead = if start > 0 { "…" } else { "" };
    let trail = if end < chars.len() { "…" } else { "" };
    format!(
        "{lead}{}{trail}",
        chars[start..end].iter().collect::<String>().trim()
    )
}

/// The parenthetical asides of `label`, outermost only, without their parentheses.
fn asides(label: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    for c in label.chars() {
        match c {
            '(' => {
                if depth == 0 {
                    out.push(String::new());
                }
                depth += 1;
            }
            ')' => depth = depth.saturating_sub(1),
            c if depth > 0 => {
                if let Some(last) = out.last_mut() {
                    last.push(c);
                }
            }
            _ => {}
        }
    }
    out
}

/// `label` with each aside (its index, its text) that `keep` refuses left out, and the
/// spaces it leaves tidied.
fn keep_asides(label: &str, keep: impl Fn(usize, &str) -> bool) -> String {
    let all = asides(label);
    let mut out = String::new();
    let (mut depth, mut index) = (0usize, 0usize);
    let mut keeping = false;
    for c in label.chars() {
        match c {
            '(' if depth == 0 => {
                keeping = all.get(index).is_some_and(|a| keep(index, a));
                depth = 1;
                if keeping {
                    out.push(c);
                }
            }
            '(' => {
                depth += 1;
                if keeping {
                    out.push(c);
                }
            }
            ')' if depth > 0 => {
                depth -= 1;
                if keeping {
                    out.push(c);
                }
                if depth == 0 {
                    index += 1;
                }
            }
            c if depth == 0 || keeping => out.push(c),
            _ => {}
        }
    }
    let words = out.split_whitespace().collect::<Vec<_>>().join(" ");
    words.replace(" :", ":").replace(" ,", ",")
}

/// `label` cut to about `fits` characters by dropping whole words from its middle.
fn elide_middle(label: &str, fits: usize) -> String {
    if label.chars().count() <= fits {
        return label.to_owned();
    }
    let words: Vec<&str> = label.split(' ').collect();
    let (mut head, mut tail) = (0usize, words.len());
    let mut length = 1; // the ellipsis
                        // Words are taken from the start and the end in turn while they fit.
    loop {
        let take_head = head <= words.len() - tail;
        let next = if take_head {
            words.get(head)
        } else {
            words.get(tail - 1)
        };
        let Some(word) = next.filter(|_| head < tail) else {
            break;
        };
        if length + word.chars().count() + 1 > fits {
            break;
        }
        length += word.chars().count() + 1;
        if take_head {
            head += 1;
        } else {
            tail -= 1;
        }
    }
    format!("{} … {}", words[..head].join(" "), words[tail..].join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asides_go_unless_they_tell_two_rows_apart() {
        let rows = [
            "wasi:http component, embedded host (pooling allocator): resident set (VmRSS)",
            "wasi:http component, embedded host (on-demand allocator): resident set (VmRSS)",
            "native server: resident set (VmRSS)",
        ];
        assert_eq!(
            short(&rows, FITS),
            [
                "wasi:http component, embedded host (pooling allocator): resident set",
                "wasi:http component, embedded host (on-demand allocator): resident set",
                "native server: resident set",
            ]
        );
    }

    /// Labels that differ only in their middle keep the part that tells them apart, within
    /// the width, instead of standing whole past a narrow chart's edge.
    #[test]
    fn labels_that_differ_in_the_middle_keep_that_part_within_the_width() {
        let rows = [
            "wasm image under the wasmtime shim, module cached: container cgroup peak + its shim's peak RSS",
            "wasm image under the wasmtime shim, compiling: container cgroup peak + its shim's peak RSS",
        ];
        let short = short(&rows, 46);
        assert_ne!(short[0], short[1]);
        for (s, differs) in short.iter().zip(["module cached", "compiling"]) {
            assert!(s.chars().count() <= 46 && s.contains(differs), "{s}");
        }
    }

    #[test]
    fn a_long_label_loses_its_middle_and_stays_distinct() {
        let long = "one two three four five six seven eight nine ten eleven twelve thirteen end";
        let cut = elide_middle(long, 40);
        assert!(
            cut.starts_with("one two") && cut.ends_with("thirteen end"),
            "{cut}"
        );
        assert!(cut.chars().count() <= 42, "{cut}");
        let twins = [
            "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda first mu nu xi omicron",
            "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda other mu nu xi omicron",
        ];
        let short = short(&twins, FITS);
        assert_ne!(short[0], short[1]);
    }

    #[test]
    fn distinct_labels_stay_distinct_and_short_ones_stay_as_they_are() {
        let words = [
            "wasm",
            "embedded wasmtime",
            "(cranelift)",
            "(Winch)",
            "precompiled",
            "JIT",
        ];
        // Every label of up to three of those words, with a long shared middle when `long`.
        let mut labels: Vec<String> = Vec::new();
        for a in words {
            for b in words {
                for long in [false, true] {
                    let middle = if long {
                        " with a long description that only a wide chart could hold whole, "
                    } else {
                        " "
                    };
                    labels.push(format!("{a}{middle}{b}"));
                }
            }
        }
        labels.sort();
        labels.dedup();
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        for fits in [24, 56, FITS] {
            let short = short(&refs, fits);
            let mut seen = short.clone();
            seen.sort();
            seen.dedup();
            assert_eq!(
                seen.len(),
                short.len(),
                "two labels read alike at {fits}: {short:?}"
            );
        }
        assert_eq!(
            short(&["native process", "ctr + runc"], FITS),
            ["native process", "ctr + runc"]
        );
    }

    #[test]
    fn an_aside_that_tells_nothing_apart_goes() {
        assert_eq!(
            short(&["wasm, embedded wasmtime (cranelift), precompiled"], FITS),
            ["wasm, embedded wasmtime, precompiled"]
        );
        assert_eq!(asides("a (b) c (d e)"), ["b", "d e"]);
    }
}

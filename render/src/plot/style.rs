//! The charts' colours and marker shapes, and the style that turns a chart dark when the
//! reader's colour scheme is.

use plotters::prelude::*;

/// The page's own ink and paper, so a chart in light mode reads like the text beside it.
pub const INK: RGBColor = RGBColor(0x1B, 0x1F, 0x24);
pub const PAPER: RGBColor = WHITE;

/// Series colours, each with a contrast of at least 3.4:1 both on white and on the dark
/// page background (#0D1117), so no series fades on either (hues after Okabe and Ito's
/// colour-blind-safe set, shifted into that band of luminance).
pub const SERIES: [RGBColor; 6] = [
    RGBColor(0x3B, 0x82, 0xC4),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x2E, 0x8B, 0x57),
    RGBColor(0xA8, 0x55, 0xA8),
    RGBColor(0x9C, 0x7A, 0x00),
    RGBColor(0x7F, 0x7F, 0x7F),
];

/// The colour of series `i`. Shapes repeat every six series (see `mark`), and so would the
/// colours; from the seventh series on, the colour is shifted by one for each six, so no
/// two of up to 36 series share both shape and colour.
pub fn color(i: usize) -> RGBColor {
    SERIES[(i + i / SERIES.len()) % SERIES.len()]
}

/// Under a dark scheme, paper becomes the page's dark background and ink its light text;
/// the series colours stay, having been chosen for both. plotters writes colours as
/// presentation attributes, which a style rule overrides.
const DARK: &str = r##"<style>@media (prefers-color-scheme: dark){[fill="#FFFFFF"]{fill:#0D1117}[fill="#1B1F24"]{fill:#E6EDF3}[stroke="#1B1F24"]{stroke:#E6EDF3}}</style>"##;

/// `svg` with the dark-scheme style as the first child of its root element.
pub fn with_dark_scheme(svg: &str) -> String {
    match svg
        .find("<svg")
        .and_then(|at| svg[at..].find('>').map(|end| at + end + 1))
    {
        Some(open) => format!("{}\n{DARK}{}", &svg[..open], &svg[open..]),
        None => svg.to_owned(),
    }
}

/// The outline of marker shape `shape` (circle, triangle, square, diamond, inverted
/// triangle, bar, in turn) at `radius` pixels, centred on the origin.
fn outline(shape: usize, r: i32) -> Vec<(i32, i32)> {
    let h = r * 7 / 10;
    match shape % 6 {
        0 => vec![
            (-h, -r),
            (h, -r),
            (r, -h),
            (r, h),
            (h, r),
            (-h, r),
            (-r, h),
            (-r, -h),
        ],
        1 => vec![(0, -r - 1), (r, r - 1), (-r, r - 1)],
        2 => vec![
            (-r + 1, -r + 1),
            (r - 1, -r + 1),
            (r - 1, r - 1),
            (-r + 1, r - 1),
        ],
        3 => vec![(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)],
        4 => vec![(0, r + 1), (r, 1 - r), (-r, 1 - r)],
        _ => vec![
            (-r - 1, -h / 2 - 1),
            (r + 1, -h / 2 - 1),
            (r + 1, h / 2 + 1),
            (-r - 1, h / 2 + 1),
        ],
    }
}

/// A filled marker of series `shape`, `offset` pixels from where it is placed.
pub fn mark(shape: usize, offset: (i32, i32), radius: i32, color: RGBColor) -> Polygon<(i32, i32)> {
    let points = outline(shape, radius)
        .into_iter()
        .map(|(x, y)| (x + offset.0, y + offset.1))
        .collect::<Vec<_>>();
    Polygon::new(points, color.filled())
}

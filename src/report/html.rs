//! report.html: one self-contained page (inline CSS and SVG, nothing fetched) that works offline,
//! mailed, and printed.

use std::fmt::Write as _;

use crate::rules::Severity;

use super::document::{Block, Chart, Headline, Table};
use super::plan::thousands;

/// Text made safe for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Severity colours, chosen dark enough for white text and distinct in greyscale print.
fn colour(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::Critical) => "#8b1a1a",
        Some(Severity::High) => "#c2410c",
        Some(Severity::Medium) => "#a16207",
        Some(Severity::Low) => "#1d4ed8",
        Some(Severity::Info) | None => "#6b7280",
    }
}

const STYLE: &str = "
:root { color-scheme: light; }
body { font-family: -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
  color: #1f2937; background: #fff; margin: 0; line-height: 1.5; font-size: 16px; }
main { max-width: 60rem; margin: 0 auto; padding: 2rem 1.5rem 4rem; }
h1 { font-size: 2rem; margin: 0 0 .25rem; }
h2 { font-size: 1.4rem; margin: 2.5rem 0 .75rem; padding-bottom: .25rem; border-bottom: 2px solid #e5e7eb; }
h3 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
p, li { max-width: 48rem; }
.note { color: #4b5563; font-size: .875rem; }
.headlines { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: .75rem; margin: 1.25rem 0; }
.headline { border: 1px solid #d1d5db; border-radius: .5rem; padding: .75rem 1rem; }
.headline .label { font-size: .85rem; color: #4b5563; }
.headline .value { display: block; font-size: 1.9rem; font-weight: 700; line-height: 1.2; }
.headline .sub { font-size: .8rem; color: #6b7280; }
table { border-collapse: collapse; width: 100%; margin: .75rem 0 1rem; font-size: .925rem; }
th, td { text-align: left; vertical-align: top; padding: .4rem .6rem; border-bottom: 1px solid #e5e7eb; }
th { background: #f3f4f6; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.keyvalue th { display: none; }
table.keyvalue td:first-child { width: 40%; color: #4b5563; }
td { overflow-wrap: anywhere; }
#plan-table td:first-child { white-space: nowrap; font-weight: 700; }
#plan-table td:nth-child(2) { width: 50%; }
#plan-table td:nth-child(3) { width: 18%; font-weight: 600; }
#plan-table td:nth-child(4) { font-size: .8rem; color: #4b5563; }
figure { margin: 1rem 0; }
figcaption { font-weight: 600; margin-bottom: .25rem; }
svg text { font-family: inherit; font-size: 13px; fill: #1f2937; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  table, figure, .headlines, li { break-inside: avoid; page-break-inside: avoid; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  .headline, th, svg rect { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
";

/// The whole page.
pub fn render(blocks: &[Block]) -> String {
    let title = blocks
        .iter()
        .find_map(|b| match b {
            Block::Title(t) => Some(t.as_str()),
            _ => None,
        })
        .unwrap_or("Report");
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // Nothing may load from elsewhere: the page must work offline and as a mail attachment.
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");
    for block in blocks {
        render_block(block, &mut out);
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn render_block(block: &Block, out: &mut String) {
    match block {
        Block::Title(text) => {
            let _ = writeln!(out, "<h1>{}</h1>", escape(text));
        }
        Block::Heading { id, text } => {
            let _ = writeln!(out, "<h2 id=\"{id}\">{}</h2>", escape(text));
        }
        Block::Subheading(text) => {
            let _ = writeln!(out, "<h3>{}</h3>", escape(text));
        }
        Block::Para(text) => {
            let _ = writeln!(out, "<p>{}</p>", escape(text));
        }
        Block::Note(text) => {
            let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(text));
        }
        Block::Bullets(items) => {
            out.push_str("<ul>\n");
            for item in items {
                let _ = writeln!(out, "<li>{}</li>", escape(item));
            }
            out.push_str("</ul>\n");
        }
        Block::Headlines(items) => {
            out.push_str("<div class=\"headlines\">\n");
            for h in items {
                render_headline(h, out);
            }
            out.push_str("</div>\n");
        }
        Block::Table(table) => render_table(table, out),
        Block::Chart(chart) => render_chart(chart, out),
    }
}

fn render_headline(h: &Headline, out: &mut String) {
    let _ = writeln!(
        out,
        "<div class=\"headline\"><span class=\"label\">{}</span><span class=\"value\" id=\"{}\" data-value=\"{}\">{}</span><span class=\"sub\">{}</span></div>",
        escape(&h.label),
        h.id,
        escape(&h.value),
        escape(&h.shown),
        escape(&h.note)
    );
}

fn render_table(table: &Table, out: &mut String) {
    let key_value = table.headers.iter().all(|h| h.is_empty());
    let class = if key_value { " class=\"keyvalue\"" } else { "" };
    let _ = writeln!(out, "<table id=\"{}\"{class}>", table.id);
    let cell_class = |i: usize| {
        if table.numeric.contains(&i) {
            " class=\"num\""
        } else {
            ""
        }
    };
    out.push_str("<thead><tr>");
    for (i, header) in table.headers.iter().enumerate() {
        let _ = write!(
            out,
            "<th scope=\"col\"{}>{}</th>",
            cell_class(i),
            escape(header)
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let _ = write!(out, "<td{}>{}</td>", cell_class(i), escape(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

/// A horizontal bar chart in inline SVG: label, bar scaled to the largest value, the number,
/// and the severity in words so the chart reads without colour.
fn render_chart(chart: &Chart, out: &mut String) {
    const WIDTH: usize = 720;
    const LABEL: usize = 230;
    const BAR: usize = 330;
    const ROW: usize = 30;
    if chart.bars.is_empty() {
        return;
    }
    let height = chart.bars.len() * ROW + 8;
    let max = chart.bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let _ = writeln!(
        out,
        "<figure id=\"{}\"><figcaption>{}</figcaption>",
        chart.id,
        escape(&chart.title)
    );
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" style=\"max-width:{WIDTH}px\">",
        escape(&chart.title)
    );
    for (i, bar) in chart.bars.iter().enumerate() {
        let y = i * ROW + 4;
        // Non-zero values always show at least a sliver of bar.
        let length = if bar.value == 0 {
            0
        } else {
            (bar.value * BAR / max).max(2)
        };
        // The severity in words, unless the label already is one.
        let severity = bar
            .severity
            .filter(|s| !bar.label.eq_ignore_ascii_case(s.as_str()))
            .map_or(String::new(), |s| format!(" · {s}"));
        let _ = writeln!(
            out,
            "<g><title>{label}: {value}{severity}</title><text x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text><rect x=\"{LABEL}\" y=\"{y}\" width=\"{length}\" height=\"{h}\" rx=\"3\" fill=\"{fill}\"></rect><text x=\"{vx}\" y=\"{ty}\">{value}{severity}</text></g>",
            label = escape(&truncate(&bar.label, 32)),
            value = thousands(bar.value),
            severity = escape(&severity),
            tx = LABEL - 8,
            ty = y + 17,
            h = ROW - 8,
            fill = colour(bar.severity),
            vx = LABEL + length + 8,
        );
    }
    out.push_str("</svg></figure>\n");
}

/// At most `max` characters, with an ellipsis when cut (long folder names would overlap bars).
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::document::build;
    use crate::report::plan::build_plan;
    use crate::report::summary::tests::summary_fixture;

    #[test]
    fn every_character_that_could_open_markup_is_escaped() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }

    #[test]
    fn a_root_named_like_markup_shows_as_text() {
        let (summary, model) = summary_fixture();
        let plan = build_plan(&summary, &model);
        let html = render(&build(&summary, &model, &plan));
        assert!(!html.contains("<script"), "raw markup from input");
        assert!(html.contains("/mnt/share&lt;script&gt;alert(1)&lt;/script&gt;"));
        // Self-contained: nothing is fetched.
        for external in ["src=", "href=", "@import", "url("] {
            assert!(!html.contains(external), "{external}");
        }
        assert!(html.contains(
            "<span class=\"value\" id=\"headline-individuals\" data-value=\"3400\">3,400</span>"
        ));
        assert!(html.contains("id=\"headline-severity\" data-value=\"critical\""));
        assert_eq!(
            html,
            render(&build(&summary, &model, &plan)),
            "deterministic"
        );
    }
}

//! report.md: the client report as Markdown, numbers in tables, for pasting into a report template.

use std::fmt::Write as _;

use super::document::{Block, Table};
use super::plan::thousands;

/// Text that no Markdown renderer turns into markup, links or HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

pub fn render(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Title(text) => {
                let _ = writeln!(out, "# {}\n", escape(text));
            }
            Block::Heading { text, .. } => {
                let _ = writeln!(out, "## {}\n", escape(text));
            }
            Block::Subheading(text) => {
                let _ = writeln!(out, "### {}\n", escape(text));
            }
            Block::Para(text) => {
                let _ = writeln!(out, "{}\n", escape(text));
            }
            Block::Note(text) => {
                let _ = writeln!(out, "*{}*\n", escape(text));
            }
            Block::Bullets(items) => {
                for item in items {
                    let _ = writeln!(out, "- {}", escape(item));
                }
                out.push('\n');
            }
            Block::Headlines(items) => {
                let table = Table {
                    id: "headlines",
                    headers: vec!["Headline".into(), "Number".into(), "Note".into()],
                    rows: items
                        .iter()
                        .map(|h| vec![h.label.clone(), h.shown.clone(), h.note.clone()])
                        .collect(),
                    numeric: vec![1],
                };
                render_table(&table, &mut out);
            }
            Block::Table(table) => render_table(table, &mut out),
            Block::Chart(chart) => {
                let _ = writeln!(out, "**{}**\n", escape(&chart.title));
                let table = Table {
                    id: chart.id,
                    headers: vec!["".into(), "Values".into(), "Severity".into()],
                    rows: chart
                        .bars
                        .iter()
                        .map(|b| {
                            vec![
                                b.label.clone(),
                                thousands(b.value),
                                b.severity.map_or("", |s| s.as_str()).to_string(),
                            ]
                        })
                        .collect(),
                    numeric: vec![1],
                };
                render_table(&table, &mut out);
            }
        }
    }
    out
}

fn render_table(table: &Table, out: &mut String) {
    if table.rows.is_empty() {
        return;
    }
    let headers: Vec<String> = table.headers.iter().map(|h| escape(h)).collect();
    let _ = writeln!(out, "| {} |", headers.join(" | "));
    let rule: Vec<&str> = (0..table.headers.len())
        .map(|i| {
            if table.numeric.contains(&i) {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    let _ = writeln!(out, "|{}|", rule.join("|"));
    for row in &table.rows {
        let cells: Vec<String> = row.iter().map(|c| escape(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::document::build;
    use crate::report::plan::build_plan;
    use crate::report::summary::tests::summary_fixture;

    #[test]
    fn markdown_has_the_headline_table_and_escapes_input() {
        let (summary, model) = summary_fixture();
        let md = render(&build(&summary, &model, &build_plan(&summary, &model)));
        let expected = "| Headline | Number | Note |\n\
                        |---|---:|---|\n\
                        | People affected (estimate) | 3,400 | between 3,300 and 3,500 |\n\
                        | Records with personal data | 3,600 | rows, entries or blocks about one person |\n\
                        | Different exposed values | 3,929 | found 4,950 times |\n\
                        | Kinds of data exposed | 5 | see “What was exposed” |\n\
                        | Highest severity | Critical | immediate loss is likely; act today |\n";
        assert!(md.contains(expected), "{md}");
        assert!(md.contains("/mnt/share&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(md.contains(
            "| 1 | Rotate the cloud key, for 14 cloud keys found in 6 files. |  | AWS IAM |"
        ));
        assert_eq!(escape("a|b_c*d"), "a\\|b\\_c\\*d");
    }
}

//! What GitHub shows of a body, and nothing else. A release pull request's notes
//! and a downtime notice are read here the way a reader sees them on GitHub: the
//! Markdown is rendered as GitHub renders it (GFM: tables, task lists,
//! strikethrough, footnotes, line breaks kept as in issues and pull requests, raw
//! HTML passed through), then the HTML is parsed as a browser parses it (html5ever,
//! through `scraper`): tag names in any case, blocks nested as the browser nests
//! them, `</details>` inside an attribute value is text of the attribute, comments
//! and attributes are never text. Nothing here scans tags in Markdown text.
//!
//! Two readings share the rendering: [`visible_lines`] (the text a reader sees,
//! line by line, for the notice's fields) and [`release_notes`] (the task items of
//! a release pull request, each with the sections it sits in).

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

use pulldown_cmark::{CowStr, Event, Options, Parser};
use scraper::{ElementRef, Html, Node};

use crate::facts::{Dependency, ReleaseNotes, Task};

/// The section the release dependencies are listed in.
const SECTION: &str = "Dependencies";

/// Said of an item GitHub shows as text with a box drawn in it, not a box.
const NO_BOX: &str = "(inside HTML, where GitHub shows no box)";

/// A token no body can know, marking the task boxes the Markdown renderer made,
/// so that an `<input type="checkbox">` written in a body's HTML is never taken
/// for one. Random per process.
fn nonce() -> &'static str {
    static NONCE: OnceLock<String> = OnceLock::new();
    NONCE.get_or_init(|| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(u64::from(std::process::id()));
        format!("{:016x}", hasher.finish())
    })
}

/// Deeper nesting than any body a person writes: such a body is not read (the
/// walks recurse), and what it would say counts as unknown.
pub const MAX_DEPTH: usize = 256;

/// Said of a body nested deeper than [`MAX_DEPTH`].
const TOO_DEEP: &str =
    "(the body nests its HTML more than 256 levels deep: gatekeeper does not read it)";

/// The document nests deeper than [`MAX_DEPTH`].
fn too_deep(html: &Html) -> bool {
    html.tree
        .nodes()
        .any(|n| n.ancestors().nth(MAX_DEPTH).is_some())
}

/// The attribute that carries [`nonce`] on a rendered task box.
const BOX_ATTR: &str = "data-gatekeeper-box";

/// `body` as GitHub shows it: rendered, then parsed as a browser parses it.
pub fn render(body: &str) -> Html {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_GFM;
    let events = Parser::new_ext(body, options).map(|event| match event {
        // Issue and pull-request bodies keep their line breaks on GitHub.
        Event::SoftBreak => Event::HardBreak,
        Event::TaskListMarker(checked) => Event::InlineHtml(CowStr::from(format!(
            "<input type=\"checkbox\" {BOX_ATTR}=\"{}\"{}>",
            nonce(),
            if checked { " checked" } else { "" }
        ))),
        other => other,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    Html::parse_fragment(&html)
}

/// Elements whose content a reader never sees (GitHub drops scripts and styles).
fn hidden(name: &str) -> bool {
    matches!(
        name,
        "script" | "style" | "template" | "head" | "title" | "noscript"
    )
}

/// Elements a browser lays out as blocks: each starts a line of its own.
fn block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "details"
            | "dialog"
            | "dd"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hr"
            | "li"
            | "main"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tr"
            | "ul"
            | "caption"
    )
}

/// The text a reader sees of `body`, line by line (blank lines left out): blocks
/// and line breaks end lines, whitespace runs show as one space (outside `pre`),
/// and link reference definitions, comments and attributes are not text.
pub fn visible_lines(body: &str) -> Vec<String> {
    let html = render(body);
    if too_deep(&html) {
        return vec![TOO_DEEP.to_owned()];
    }
    let mut text = String::new();
    visible(html.root_element(), false, &mut text);
    text.lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

fn visible(el: ElementRef<'_>, pre: bool, out: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) if pre => out.push_str(t),
            Node::Text(t) => {
                // A browser shows a run of whitespace, newlines too, as one space.
                for c in t.chars() {
                    if !c.is_whitespace() {
                        out.push(c);
                    } else {
                        space(out);
                    }
                }
            }
            Node::Element(e) => {
                let Some(child_el) = ElementRef::wrap(child) else {
                    continue;
                };
                let name = e.name();
                if hidden(name) {
                    continue;
                }
                match name {
                    "br" => out.push('\n'),
                    "td" | "th" => {
                        space(out);
                        visible(child_el, pre, out);
                        space(out);
                    }
                    _ if block(name) => {
                        out.push('\n');
                        visible(child_el, pre || name == "pre", out);
                        out.push('\n');
                    }
                    _ => visible(child_el, pre, out),
                }
            }
            _ => {}
        }
    }
}

/// One space between words, none at the start of a line.
fn space(out: &mut String) {
    if !out.is_empty() && !out.ends_with([' ', '\n']) {
        out.push(' ');
    }
}

/// The task items of a release pull request's body, as GitHub shows it.
///
/// Sections: a heading (`##` or `<h2>`, any level) runs to the next heading of
/// the same or a higher level within the same block; a `<details>` is a section
/// named by its `<summary>`; a label paragraph outside a list (wholly bold,
/// ending with a colon: `**QA:**`) runs to the next heading or label; a list item
/// with no box names a section for its nested lists. Every section whose name
/// starts with "Dependencies" (any case, after anything that is not a letter: an
/// emoji, a number, `&nbsp;`) is a Dependencies section, and so is a paragraph
/// that starts with it (`Dependencies:`, `*Dependencies*`), to the next heading
/// or label. Every list item, and every table row, inside a Dependencies section
/// is a dependency (a plain one cannot be ticked); every task item elsewhere is a
/// [`Task`] with the names of the sections it sits in, outermost first.
pub fn release_notes(body: &str) -> ReleaseNotes {
    let html = render(body);
    let mut walk = Walk {
        notes: ReleaseNotes::default(),
    };
    // Unread, it may hide an unticked box: it blocks.
    if too_deep(&html) {
        walk.notes.tasks.push(Task {
            text: TOO_DEEP.to_owned(),
            done: false,
            sections: Vec::new(),
        });
        return walk.notes;
    }
    walk.container(html.root_element(), &Ctx::default());
    walk.notes
}

/// Where the walk is: the sections around it, and whether one is Dependencies.
#[derive(Clone, Default)]
struct Ctx {
    sections: Vec<String>,
    dependencies: bool,
    in_list: bool,
}

impl Ctx {
    fn with(&self, name: &str, dependencies: bool) -> Ctx {
        let mut ctx = self.clone();
        ctx.sections.push(name.to_owned());
        ctx.dependencies |= dependencies;
        ctx
    }
}

struct Walk {
    notes: ReleaseNotes,
}

/// How a list item shows its box.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// A task box the Markdown made, ticked or not.
    Real(bool),
    /// A box GitHub does not show as one: `[ ]` written as text, or a checkbox
    /// written in the body's HTML (ticked or not).
    Drawn(bool),
}

impl Walk {
    /// The children of `el` in order: headings and labels open sections that run
    /// within it.
    fn container(&mut self, el: ElementRef<'_>, outer: &Ctx) {
        // (level, name, names Dependencies)
        let mut headings: Vec<(u8, String, bool)> = Vec::new();
        let mut label: Option<(String, bool)> = None;
        for child in el.children() {
            let mut ctx = outer.clone();
            for (_, name, deps) in &headings {
                ctx = ctx.with(name, *deps);
            }
            if let Some((name, deps)) = &label {
                ctx = ctx.with(name, *deps);
            }
            match child.value() {
                Node::Text(t) => self.drawn_boxes(t, &ctx),
                Node::Element(e) => {
                    let Some(child_el) = ElementRef::wrap(child) else {
                        continue;
                    };
                    let name = e.name();
                    if let Some(level) = heading_level(name) {
                        let text = text_of(child_el);
                        let deps = names_section(&text);
                        self.notes.dependencies_section |= deps;
                        headings.retain(|(l, _, _)| *l < level);
                        headings.push((level, section_name(&text), deps));
                        label = None;
                    } else if name == "p" && !outer.in_list {
                        match self.label(child_el) {
                            Some(opens) => label = Some(opens),
                            None => self.element(child_el, &ctx),
                        }
                    } else {
                        self.element(child_el, &ctx);
                    }
                }
                _ => {}
            }
        }
    }

    fn element(&mut self, el: ElementRef<'_>, ctx: &Ctx) {
        let name = el.value().name();
        if hidden(name) {
            return;
        }
        match name {
            "li" => self.item(el, ctx),
            "tr" => self.row(el, ctx),
            // Column names, and code (an example), hold no items.
            "thead" | "pre" | "code" | "summary" => {}
            "details" => {
                let summary = el
                    .children()
                    .filter_map(ElementRef::wrap)
                    .find(|c| c.value().name() == "summary")
                    .map(text_of);
                match summary {
                    Some(s) => {
                        let deps = names_section(&s);
                        self.notes.dependencies_section |= deps;
                        self.container(el, &ctx.with(&section_name(&s), deps));
                    }
                    None => self.container(el, ctx),
                }
            }
            "input" => {
                if let Some(b) = input_box(el) {
                    self.boxed("a checkbox", b, ctx);
                }
            }
            _ => self.container(el, ctx),
        }
    }

    /// A paragraph outside any list that labels a section: one that starts with
    /// "Dependencies", or a wholly bold one that ends with a colon (`**QA:**`),
    /// with the section's name (and whether it is Dependencies). A wholly bold one
    /// without a colon (`**Backend**`) groups items inside the section it is in.
    fn label(&mut self, p: ElementRef<'_>) -> Option<(String, bool)> {
        let mut text = String::new();
        let mut plain = String::new();
        bold_split(p, false, &mut text, &mut plain);
        let text = collapse(&text);
        if names_section(&text) {
            self.notes.dependencies_section = true;
            if let Some(rest) = after_label(&text) {
                self.notes.dependencies.push(plain_dependency(rest));
            }
            return Some((SECTION.to_owned(), true));
        }
        let wholly_bold = !text.is_empty() && plain.trim().trim_end_matches(':').trim().is_empty();
        (wholly_bold && text.ends_with(':')).then(|| (section_name(&text), false))
    }

    /// A list item: a dependency inside a Dependencies section, a task elsewhere
    /// when it has a box; its nested lists are a section it names when it has none.
    fn item(&mut self, li: ElementRef<'_>, ctx: &Ctx) {
        let mut own = Own::default();
        own.read(li);
        let text = collapse(&own.text);
        let mut shown = own.shown;
        if shown.is_none() {
            shown = drawn_box(&text).map(Shown::Drawn);
        }
        if ctx.dependencies {
            self.notes.dependencies.push(match shown {
                Some(Shown::Real(done)) => Dependency {
                    text: text.clone(),
                    done,
                    task: true,
                },
                Some(Shown::Drawn(_)) => plain_dependency(format!("{text} {NO_BOX}")),
                None => plain_dependency(text.clone()),
            });
        } else if let Some(b) = shown {
            self.boxed(&text, b, ctx);
        }
        let mut inner = ctx.clone();
        inner.in_list = true;
        if shown.is_none() && !text.is_empty() {
            let deps = !ctx.dependencies && names_section(&text);
            if deps {
                self.notes.dependencies_section = true;
                if let Some(rest) = after_label(&text) {
                    self.notes.dependencies.push(plain_dependency(rest));
                }
            }
            inner = inner.with(&section_name(&text), deps);
        }
        // The item's own words are read; its blocks hold more items.
        for child in li.children().filter_map(ElementRef::wrap) {
            let name = child.value().name();
            if !own_content(name) {
                self.element(child, &inner);
            }
        }
    }

    /// A table row: a dependency inside a Dependencies section (it cannot be
    /// ticked), a task elsewhere when a cell starts with an unticked box.
    fn row(&mut self, tr: ElementRef<'_>, ctx: &Ctx) {
        let cells: Vec<ElementRef<'_>> = tr
            .children()
            .filter_map(ElementRef::wrap)
            .filter(|c| matches!(c.value().name(), "td" | "th"))
            .collect();
        if cells.iter().all(|c| c.value().name() == "th") {
            return;
        }
        let texts: Vec<String> = cells.iter().map(|c| text_of(*c)).collect();
        let text = texts.join(" | ");
        if ctx.dependencies {
            self.notes.dependencies.push(plain_dependency(text));
            return;
        }
        let mut own = Own::default();
        own.read(tr);
        let shown = own
            .shown
            .or_else(|| texts.iter().find_map(|t| drawn_box(t)).map(Shown::Drawn));
        if let Some(b) = shown {
            self.boxed(&text, b, ctx);
        }
    }

    /// An item with a box outside every Dependencies section (or a checkbox in
    /// HTML inside one): a task when it may be unticked.
    fn boxed(&mut self, text: &str, b: Shown, ctx: &Ctx) {
        if ctx.dependencies {
            self.notes
                .dependencies
                .push(plain_dependency(format!("{text} {NO_BOX}")));
            return;
        }
        let (text, done) = match b {
            Shown::Real(done) => (text.to_owned(), done),
            Shown::Drawn(false) => (format!("{text} {NO_BOX}"), false),
            // A tick GitHub may not show: it neither blocks nor proves anything.
            Shown::Drawn(true) => return,
        };
        self.notes.tasks.push(Task {
            text,
            done,
            sections: ctx.sections.clone(),
        });
    }

    /// Lines of text written as task items (`- [ ] …`), which GitHub shows with
    /// no box (inside HTML, or where Markdown makes no list).
    fn drawn_boxes(&mut self, text: &str, ctx: &Ctx) {
        for line in text.lines() {
            if let Some((line, done)) = drawn_item(line) {
                self.boxed(&line, Shown::Drawn(done), ctx);
            }
        }
    }
}

/// The words of a list item (or table row) outside its nested blocks, and its box.
#[derive(Default)]
struct Own {
    text: String,
    shown: Option<Shown>,
}

impl Own {
    fn read(&mut self, el: ElementRef<'_>) {
        for child in el.children() {
            match child.value() {
                Node::Text(t) => self.text.push_str(t),
                Node::Element(e) => {
                    let Some(child_el) = ElementRef::wrap(child) else {
                        continue;
                    };
                    let name = e.name();
                    if hidden(name) || !own_content(name) {
                        continue;
                    }
                    match name {
                        "input" => {
                            if self.shown.is_none() {
                                self.shown = input_box(child_el);
                            }
                        }
                        "code" => {
                            self.text.push('`');
                            self.text.push_str(&text_of(child_el));
                            self.text.push('`');
                        }
                        "br" => self.text.push(' '),
                        _ => {
                            self.text.push(' ');
                            self.read(child_el);
                            self.text.push(' ');
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Content that is a list item's own words, not a block of more items.
fn own_content(name: &str) -> bool {
    !matches!(
        name,
        "ul" | "ol" | "details" | "blockquote" | "table" | "pre" | "div" | "dl"
    ) && heading_level(name).is_none()
}

/// The box an `<input>` shows: a task box of the Markdown's, or a checkbox
/// written in the body's HTML.
fn input_box(el: ElementRef<'_>) -> Option<Shown> {
    let e = el.value();
    if !e
        .attr("type")
        .is_some_and(|t| t.eq_ignore_ascii_case("checkbox"))
    {
        return None;
    }
    let checked = e.attr("checked").is_some();
    Some(if e.attr(BOX_ATTR) == Some(nonce()) {
        Shown::Real(checked)
    } else {
        Shown::Drawn(checked)
    })
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// The text of an element as one line, whitespace collapsed.
fn text_of(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    visible(el, false, &mut out);
    collapse(&out)
}

/// The text of `el`, and the part of it outside bold.
fn bold_split(el: ElementRef<'_>, bold: bool, text: &mut String, plain: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => {
                text.push_str(t);
                if !bold {
                    plain.push_str(t);
                }
            }
            Node::Element(e) => {
                if let Some(child_el) = ElementRef::wrap(child) {
                    let name = e.name();
                    if name == "br" {
                        text.push(' ');
                    } else if !hidden(name) {
                        bold_split(
                            child_el,
                            bold || matches!(name, "strong" | "b"),
                            text,
                            plain,
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

/// Text that starts with "Dependencies", any case, after anything that is not a
/// letter (whitespace, `&nbsp;`, an emoji, a number: `📦 Dependencies`).
pub fn names_section(text: &str) -> bool {
    text.trim_start_matches(|c: char| !c.is_alphabetic())
        .get(..SECTION.len())
        .is_some_and(|t| t.eq_ignore_ascii_case(SECTION))
}

/// A section's name as the settings name it: whitespace collapsed, without what
/// comes before its first letter or a trailing colon (`## 2. QA:` is `QA`).
pub fn section_name(text: &str) -> String {
    let text = collapse(text);
    text.trim_start_matches(|c: char| !c.is_alphabetic())
        .trim_end_matches(|c: char| c == ':' || c.is_whitespace())
        .to_owned()
}

/// What a label says after its colon, when it says something other than that
/// there is nothing.
fn after_label(text: &str) -> Option<String> {
    let (_, rest) = text.split_once(':')?;
    let rest = collapse(rest);
    let nothing = ["", "none", "none.", "n/a", "-"];
    (!nothing.iter().any(|n| rest.eq_ignore_ascii_case(n))).then_some(rest)
}

/// A line of text written as a task item (`- [ ] …`, `1. [x] …`): the line, and
/// whether its box is ticked.
fn drawn_item(line: &str) -> Option<(String, bool)> {
    let line = line.trim();
    let rest = match line.strip_prefix(['-', '*', '+']) {
        Some(rest) => rest,
        None => {
            let digits = line.trim_start_matches(|c: char| c.is_ascii_digit());
            (digits.len() < line.len())
                .then(|| digits.strip_prefix(['.', ')']))
                .flatten()?
        }
    };
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    drawn_box(rest.trim_start()).map(|done| (line.to_owned(), done))
}

/// Text that starts with a box drawn in it: `[ ]` (false), `[x]` or `[X]` (true).
fn drawn_box(text: &str) -> Option<bool> {
    if text.starts_with("[ ]") {
        Some(false)
    } else if text.starts_with("[x]") || text.starts_with("[X]") {
        Some(true)
    } else {
        None
    }
}

fn plain_dependency(text: String) -> Dependency {
    Dependency {
        text,
        done: false,
        task: false,
    }
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dependencies(body: &str) -> ReleaseNotes {
        release_notes(body)
    }

    /// (text, done, task) of each item.
    fn deps(body: &str) -> Vec<(String, bool, bool)> {
        dependencies(body)
            .dependencies
            .into_iter()
            .map(|d| (d.text, d.done, d.task))
            .collect()
    }

    fn task(text: &str, done: bool) -> (String, bool, bool) {
        (text.to_owned(), done, true)
    }

    #[test]
    fn dependencies_end_at_a_heading_of_same_or_higher_level() {
        let body = "# Release\n- [ ] not this\n## Dependencies:\n- [ ] a\n* [X] b\n### Detail\n- [x] c\n```\n- [ ] in code\n```\n# Next\n- [ ] not this either\n## dependencies\n- [ ] d\n";
        assert_eq!(
            deps(body),
            vec![
                task("a", false),
                task("b", true),
                task("c", true),
                task("d", false)
            ]
        );
        // Not a heading on GitHub (no space after the #), but a label paragraph.
        assert_eq!(
            outside("#Dependencies\n- [ ] x"),
            (true, 0),
            "a label, read as one"
        );
        // An emoji or a number before the name.
        for heading in [
            "## 📦 Dependencies",
            "## 2. Dependencies",
            "### — dependencies —",
        ] {
            let body = format!("{heading}\n- [ ] x\n");
            assert_eq!(deps(&body), vec![task("x", false)], "{heading}");
        }
    }

    #[test]
    fn ordered_task_items_are_dependencies() {
        let body = "## Dependencies\n\n1. [ ] gradebook-service deployed\n2. [x] flag created\n3) [ ] cache cleared\n";
        assert_eq!(
            deps(body),
            vec![
                task("gradebook-service deployed", false),
                task("flag created", true),
                task("cache cleared", false)
            ]
        );
    }

    #[test]
    fn a_setext_heading_opens_the_section() {
        let body = "Release\n=======\n\nDependencies\n------------\n\n- [ ] gradebook-service deployed\n\nQA\n--\n\n- [ ] smoke test\n";
        assert_eq!(deps(body), vec![task("gradebook-service deployed", false)]);
    }

    #[test]
    fn a_heading_that_starts_with_dependencies_opens_the_section() {
        let body = "## Dependencies (do these first)\n- [ ] gradebook-service deployed\n## Not Dependencies\n- [ ] other\n";
        assert_eq!(deps(body), vec![task("gradebook-service deployed", false)]);
    }

    #[test]
    fn a_tab_after_the_bullet_is_still_a_task_item() {
        let body = "### Dependencies\n-\t[ ] gradebook-service deployed\n*\t[x] flag created\n";
        assert_eq!(
            deps(body),
            vec![
                task("gradebook-service deployed", false),
                task("flag created", true)
            ]
        );
    }

    #[test]
    fn fenced_and_indented_code_holds_no_items() {
        let body = "## Dependencies\n~~~\n- [ ] in a tilde fence\n~~~\n```md\n- [ ] in a backtick fence\n```\n\n    - [ ] indented code\n\n- [ ] real one\n";
        assert_eq!(deps(body), vec![task("real one", false)]);
        // An unclosed fence runs to the end, as GitHub renders it.
        assert!(
            dependencies("## Dependencies\n~~~\n- [ ] x\n")
                .dependencies
                .is_empty()
        );
    }

    #[test]
    fn nested_items_count_at_any_depth_in_document_order() {
        let body = "## Dependencies\n- [x] backend\n  - [ ] gradebook-service deployed\n    1. [ ] migrations run\n- Frontend\n  - [X] flag created\n";
        assert_eq!(
            deps(body),
            vec![
                task("backend", true),
                task("gradebook-service deployed", false),
                task("migrations run", false),
                ("Frontend".to_owned(), false, false),
                task("flag created", true),
            ]
        );
    }

    #[test]
    fn a_plain_bullet_is_an_item_that_cannot_be_ticked() {
        let body = "## Dependencies\n- gradebook-service deployed\n- [x] flag `LAUNCH` created\n  with a second line\n";
        assert_eq!(
            deps(body),
            vec![
                ("gradebook-service deployed".to_owned(), false, false),
                task("flag `LAUNCH` created with a second line", true),
            ]
        );
    }

    #[test]
    fn a_checked_box_in_capitals_is_done() {
        assert_eq!(
            deps("## Dependencies\n- [X] flag created\n"),
            vec![task("flag created", true)]
        );
    }

    #[test]
    fn items_in_a_quote_or_html_comment_are_read_as_rendered() {
        let body = "## Dependencies\n> - [ ] quoted\n\n<!--\n- [ ] commented out\n-->\n";
        assert_eq!(deps(body), vec![task("quoted", false)]);
    }

    /// Whether the body has a Dependencies section, and its task items outside one.
    fn outside(body: &str) -> (bool, usize) {
        let notes = dependencies(body);
        (notes.dependencies_section, notes.tasks.len())
    }

    #[test]
    fn a_bold_label_opens_the_section_until_the_next_label() {
        let body = "Gradebook entries.\n\n**Dependencies:**\n- [x] gradebook-service deployed\n- [ ] flag created\n\n**QA:**\n- [ ] smoke test\n";
        assert_eq!(
            deps(body),
            vec![
                task("gradebook-service deployed", true),
                task("flag created", false)
            ]
        );
        assert_eq!(outside(body), (true, 1));
    }

    #[test]
    fn every_label_form_opens_the_section() {
        for label in [
            "**Dependencies:**",
            "**Dependencies**:",
            "__Dependencies__",
            "*Dependencies*",
            "_dependencies:_",
            "Dependencies:",
            "DEPENDENCIES",
            "**Dependencies (do these first):**",
        ] {
            let body = format!("Intro.\n\n{label}\n- [ ] flag created\n");
            assert_eq!(deps(&body), vec![task("flag created", false)], "{label}");
            assert_eq!(outside(&body), (true, 0), "{label}");
        }
        // A label in a blockquote opens it too.
        assert_eq!(
            deps("> **Dependencies:**\n> - [ ] flag created\n"),
            vec![task("flag created", false)]
        );
    }

    #[test]
    fn a_label_section_ends_at_any_heading_and_not_at_plain_text() {
        let body = "**Dependencies:**\n\n- [ ] a\n\nAnd before that:\n\n- [ ] b\n\n*Note: after 6 pm*\n\n- [ ] c\n\n#### Notes\n- [ ] not this\n";
        assert_eq!(
            deps(body),
            vec![task("a", false), task("b", false), task("c", false)]
        );
        assert_eq!(outside(body), (true, 1));
        // A wholly bold paragraph with a colon ends it, `__` or `**`.
        for label in ["**QA:**", "__QA:__", "**QA**:"] {
            let body = format!("Dependencies:\n\n- [ ] a\n\n{label}\n\n- [ ] not this\n");
            assert_eq!(deps(&body), vec![task("a", false)], "{label}");
        }
        // A bold sub-label without one groups more dependencies: its unticked
        // items are not skipped.
        for label in ["**Backend**", "__Frontend__"] {
            let body = format!("**Dependencies:**\n\n- [x] a\n\n{label}\n\n- [ ] b\n");
            assert_eq!(
                deps(&body),
                vec![task("a", true), task("b", false)],
                "{label}"
            );
        }
    }

    #[test]
    fn a_list_item_naming_the_section_opens_it_for_its_nested_lists() {
        let body = "- **Dependencies:**\n  - [x] gradebook-service deployed\n    1. [ ] flag created\n- **QA:**\n  - [ ] smoke test\n";
        assert_eq!(
            deps(body),
            vec![
                task("gradebook-service deployed", true),
                task("flag created", false)
            ]
        );
        assert_eq!(outside(body), (true, 1));
        // Loose, and with the items after a blank line.
        let body = "* Dependencies\n\n  * [ ] flag created\n\n* Notes\n\n  * [ ] not this\n";
        assert_eq!(deps(body), vec![task("flag created", false)]);
        // Text after the colon is an item; none is nothing.
        assert_eq!(
            deps("- Dependencies: flag created\n- QA: smoke\n"),
            vec![("flag created".to_owned(), false, false)]
        );
        assert_eq!(outside("- Dependencies: none\n- [ ] smoke\n"), (true, 1));
        assert_eq!(deps("- Dependencies: none\n- [ ] smoke\n"), vec![]);
    }

    #[test]
    fn a_details_block_whose_summary_names_the_section_is_the_section() {
        let body = "<details>\n<summary><b>Dependencies</b> (3)</summary>\n\n- [x] gradebook deployed\n<details><summary>more</summary>\n\n- [ ] flag created\n\n</details>\n\n- [ ] cache cleared\n\n</details>\n\n- [ ] smoke test\n";
        assert_eq!(
            deps(body),
            vec![
                task("gradebook deployed", true),
                task("flag created", false),
                task("cache cleared", false)
            ]
        );
        assert_eq!(outside(body), (true, 1));
        // Without blank lines GitHub shows the items as text: items with no box.
        let body = "<details><summary>Dependencies</summary>\n- [x] gradebook deployed\n</details>\n- [ ] smoke\n";
        assert_eq!(
            deps(body),
            vec![(
                "- [x] gradebook deployed (inside HTML, where GitHub shows no box)".to_owned(),
                false,
                false
            )]
        );
    }

    #[test]
    fn a_bold_paragraph_inside_a_heading_section_changes_nothing() {
        let body = "## Dependencies\n\n**Backend**\n\n- [ ] a\n\n**QA:**\n\n- [x] b\n\n## QA\n- [ ] smoke\n";
        assert_eq!(deps(body), vec![task("a", false), task("b", true)]);
        assert_eq!(outside(body), (true, 1));
    }

    #[test]
    fn text_after_the_label_is_an_item_that_cannot_be_ticked() {
        assert_eq!(
            deps("**Dependencies:** gradebook-service deployed first\n"),
            vec![("gradebook-service deployed first".to_owned(), false, false)]
        );
        for nothing in [
            "**Dependencies:** none",
            "Dependencies: N/A",
            "Dependencies: None.",
        ] {
            assert_eq!(deps(nothing), vec![], "{nothing}");
            assert_eq!(outside(nothing), (true, 0), "{nothing}");
        }
    }

    #[test]
    fn a_bold_word_in_prose_is_no_label() {
        // "Dependencies" not at the start: no section.
        let body = "See the **Dependencies** below.\n- [ ] flag created\n";
        assert_eq!(deps(body), vec![]);
        assert_eq!(outside(body), (false, 1));
    }

    #[test]
    fn task_items_outside_any_section_are_counted() {
        // Sections gatekeeper cannot see: the items are not read, but counted.
        for body in [
            "## Deps\n- [ ] flag created\n- [x] deployed\n",
            "## Dependency\n- [ ] flag created\n- [x] deployed\n",
            "<details><summary>Deps</summary>\n\n- [ ] flag created\n- [x] deployed\n\n</details>\n",
            "- **Deps:**\n  - [ ] flag created\n  - [x] deployed\n",
        ] {
            assert_eq!(deps(body), vec![], "{body}");
            assert_eq!(outside(body), (false, 2), "{body}");
        }
        assert_eq!(outside("Nothing to see.\n- plain\n"), (false, 0));
        assert_eq!(outside(""), (false, 0));
        // A heading section, and one QA item outside it.
        let body = "## Release\n\n### Dependencies\n\n- [x] service deployed\n\n#### Notes\n\n- [x] cache cleared\n\n### QA\n\n- [ ] smoke test\n";
        assert_eq!(outside(body), (true, 1));
    }

    #[test]
    fn a_table_in_the_section_is_items_that_cannot_be_ticked() {
        let body = "## Dependencies\n\n| dependency | done |\n|---|---|\n| gradebook-service deployed | [x] |\n| flag created | [ ] |\n";
        assert_eq!(
            deps(body),
            vec![
                ("gradebook-service deployed | [x]".to_owned(), false, false),
                ("flag created | [ ]".to_owned(), false, false),
            ]
        );
        // Outside the section, a row with a box is a task item outside it.
        let body = "| | dependency |\n|---|---|\n| [ ] | flag created |\n| - | no box |\n";
        assert_eq!(outside(body), (false, 1));
    }

    #[test]
    fn a_task_item_inside_html_is_an_item_that_cannot_be_ticked() {
        let body = "## Dependencies\n<details>\n<summary>Backend</summary>\n- [x] gradebook deployed\n1. [ ] flag created\n</details>\n\n<!--\n- [ ] commented out\n-->\n";
        assert_eq!(
            deps(body),
            vec![
                (
                    "- [x] gradebook deployed (inside HTML, where GitHub shows no box)".to_owned(),
                    false,
                    false
                ),
                (
                    "1. [ ] flag created (inside HTML, where GitHub shows no box)".to_owned(),
                    false,
                    false
                ),
            ]
        );
        // With no section, they are task items outside one.
        let body = "<details>\n<summary>Deps</summary>\n- [ ] flag created\n</details>\n";
        assert_eq!(outside(body), (false, 1));
        // Not task items: no bullet, no space, no box.
        for line in ["[ ] a", "-[ ] a", "- a", "12 [ ] a", "<li>[ ] a</li>"] {
            assert_eq!(drawn_item(line), None, "{line}");
        }
    }

    fn unticked_deps(body: &str) -> Vec<String> {
        dependencies(body)
            .dependencies
            .into_iter()
            .filter(|d| !(d.task && d.done))
            .map(|d| d.text)
            .collect()
    }

    /// A `<details>` closes at its own end, as a browser parses it: a nested one in
    /// any case, or `</details>` inside an attribute value, does not close it.
    #[test]
    fn a_details_section_closes_at_its_own_end() {
        for (case, inner) in [
            (
                "nested DETAILS",
                "<DETAILS><summary>more</summary>\n\n- [x] b\n\n</DETAILS>",
            ),
            (
                "nested Details",
                "<Details>\n<Summary>more</Summary>\n\n- [x] b\n\n</Details>",
            ),
            ("attribute value", "<p title=\"</details>\">note</p>"),
            (
                "attribute over lines",
                "<p title=\"\n</details>\n\">note</p>",
            ),
        ] {
            let body = format!(
                "<details>\n<summary>Dependencies</summary>\n\n- [x] a\n\n{inner}\n\n- [ ] flag created\n\n</details>\n"
            );
            assert_eq!(unticked_deps(&body), ["flag created"], "{case}");
            assert_eq!(dependencies(&body).tasks, [], "{case}");
        }
    }

    /// Every section GitHub shows as Dependencies is read, beside another one.
    #[test]
    fn every_dependencies_section_is_read_in_any_form() {
        for second in [
            "<h2>Dependencies</h2>\n\n- [ ] flag created\n",
            "<H3>Dependencies</H3>\n\n- [ ] flag created\n",
            "<details>\n<summary>\nDependencies\n</summary>\n\n- [ ] flag created\n\n</details>\n",
            "<details>\n<SUMMARY>Dependencies</SUMMARY>\n\n- [ ] flag created\n\n</details>\n",
            "## &nbsp;Dependencies\n\n- [ ] flag created\n",
            "<details><summary>&nbsp;<b>Dependencies</b></summary>\n\n- [ ] flag created\n\n</details>\n",
            "**Dependencies:**\n\n- [ ] flag created\n",
        ] {
            let body = format!(
                "## Dependencies\n\n- [x] service deployed\n\n## Notes\n\nText.\n\n{second}"
            );
            assert_eq!(unticked_deps(&body), ["flag created"], "{second}");
        }
    }

    /// Outside the Dependencies sections every task item is read with the
    /// sections it sits in, outermost first.
    #[test]
    fn tasks_outside_carry_their_sections() {
        let body = "## Release 2026-11-24\r\n\r\n### Dependencies\r\n\r\n- [x] a\r\n\r\n#### Notes on dependencies\r\n\r\n- [x] b\r\n\r\n### QA\r\n\r\n- [ ] smoke test\r\n\r\n<details><summary>Manual tasks</summary>\r\n\r\n- [x] email support\r\n\r\n</details>\r\n\r\n**Rollout:**\r\n\r\n- [ ] flip the flag\r\n";
        let notes = dependencies(body);
        assert_eq!(unticked_deps(body), Vec::<String>::new());
        let tasks: Vec<_> = notes
            .tasks
            .iter()
            .map(|t| (t.text.as_str(), t.done, t.sections.join(" > ")))
            .collect();
        assert_eq!(
            tasks,
            [
                ("smoke test", false, "Release 2026-11-24 > QA".to_owned()),
                (
                    "email support",
                    true,
                    "Release 2026-11-24 > QA > Manual tasks".to_owned()
                ),
                (
                    "flip the flag",
                    false,
                    "Release 2026-11-24 > QA > Rollout".to_owned()
                ),
            ]
        );
        // A box drawn as text, a checkbox written in HTML, a table row with a box.
        let body = "<div>\n- [ ] drawn\n</div>\n\n<ul><li><input type=\"checkbox\"> raw</li></ul>\n\n| x | y |\n|---|---|\n| [ ] row | z |\n";
        let texts: Vec<_> = dependencies(body)
            .tasks
            .into_iter()
            .map(|t| (t.text, t.done))
            .collect();
        assert_eq!(
            texts,
            [
                (format!("- [ ] drawn {NO_BOX}"), false),
                (format!("raw {NO_BOX}"), false),
                (format!("[ ] row | z {NO_BOX}"), false),
            ]
        );
        // A checkbox in HTML is never a ticked box: in the section it cannot be ticked.
        let body = "## Dependencies\n\n<ul><li><input type=checkbox checked data-gatekeeper-box=0> a</li></ul>\n";
        assert_eq!(unticked_deps(body), [format!("a {NO_BOX}")]);
        assert_eq!(section_name("  2. QA: "), "QA");
    }

    /// The notice's fields come from what a reader sees.
    #[test]
    fn visible_lines_hold_only_what_a_reader_sees() {
        let body = "Target: production\nStart: 2026-11-28T02:00:00-05:00\n\n[x]: https://example.com \"Start: 2026-11-21T02:00:00-05:00\"\n\n<p title=\"\nStart: 2026-11-21T02:00:00-05:00\n\">Length: 120 minutes</p>\n<!-- Start: 2026-11-21T02:00:00-05:00 -->\n<div>Nature: a\nAffected: b</div>\n\n- **Experience:** page\n\n<script>Start: x</script>\n";
        assert_eq!(
            visible_lines(body),
            [
                "Target: production",
                "Start: 2026-11-28T02:00:00-05:00",
                "Length: 120 minutes",
                "Nature: a Affected: b",
                "Experience: page",
            ]
        );
        let pre = visible_lines("```\nStart: a\nEnd: b\n```\n| a | b |\n|---|---|\n| c | d |\n");
        assert_eq!(pre, ["Start: a", "End: b", "a b", "c d"]);
    }

    /// A body nested too deep to walk is not read: its notes block, and a notice
    /// shows no field.
    #[test]
    fn a_body_nested_too_deep_is_not_read_and_blocks() {
        let deep = format!("{}- [x] a\n", "> ".repeat(MAX_DEPTH + 10));
        let notes = dependencies(&deep);
        assert_eq!(notes.tasks.len(), 1);
        assert_eq!(notes.tasks[0].text, TOO_DEEP);
        assert!(!notes.tasks[0].done);
        let divs = format!("{}Start: x", "<div>".repeat(MAX_DEPTH * 2));
        assert_eq!(visible_lines(&divs), [TOO_DEEP]);
        // Deep, but not too deep: read.
        let fine = format!("{}- [ ] a\n", "> ".repeat(20));
        assert_eq!(dependencies(&fine).tasks[0].text, "a");
    }
}

//! Problems found in a schema, and how they are shown to a person.
//!
//! Every layer of the front end reports through one sink rather
//! than stopping at the first problem, so one run shows every independent
//! mistake. Each [`Diagnostic`] says which [`Rule`] it breaks: language rules
//! are always errors; documentation rules (the ones only QEMU's documentation
//! generator needs) are warnings unless the run is strict, so that schemas of
//! older QEMU releases are accepted.

use std::fmt;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};

use crate::source::{SourceMap, Span};

/// Which kind of rule a diagnostic enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The language itself: syntax, names, types, unions, conditions.
    Language,
    /// Only documentation: doc comment layout, section names, required docs.
    Documentation,
}

/// How serious a diagnostic is in this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Reported, but the schema is still accepted.
    Warning,
    /// The schema is rejected.
    Error,
}

/// One problem, anchored at a span.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Error or warning, decided by the rule and the run's strictness.
    pub severity: Severity,
    /// The kind of rule broken.
    pub rule: Rule,
    /// What is wrong, in plain words.
    pub message: String,
    /// Where. For problems inside a definition this is the start of the
    /// definition, the place QEMU's generator reports too.
    pub span: Span,
    /// The definition the problem is in, as `struct 'Foo'`, if any.
    pub context: Option<String>,
    /// Further places worth pointing at, each with a short label.
    pub labels: Vec<(Span, String)>,
    /// A hint on how to fix it, shown after the snippet.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic for a language rule.
    pub(crate) fn language(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            rule: Rule::Language,
            message: message.into(),
            span,
            context: None,
            labels: Vec::new(),
            help: None,
        }
    }

    /// A diagnostic for a documentation-only rule.
    pub(crate) fn documentation(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            rule: Rule::Documentation,
            ..Diagnostic::language(span, message)
        }
    }

    /// Names the definition the problem is in (`"struct 'Foo'"`).
    pub(crate) fn in_definition(mut self, context: impl Into<String>) -> Diagnostic {
        self.context = Some(context.into());
        self
    }

    /// Points at a further place, e.g. the exact member at fault.
    pub(crate) fn with_label(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.labels.push((span, label.into()));
        self
    }

    /// Adds a hint on how to fix the problem.
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Renders the diagnostic with the offending lines shown.
    pub fn render(&self, sources: &SourceMap, color: bool) -> String {
        let file = sources.file(self.span.file);
        let (path, pos) = sources.location(self.span);
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let title = match &self.context {
            Some(context) => format!(
                "{path}:{}:{}: in {context}: {}",
                pos.line, pos.col, self.message
            ),
            None => format!("{path}:{}:{}: {}", pos.line, pos.col, self.message),
        };

        // Show only the lines the annotations touch, so a diagnostic in a
        // large file stays small.
        let mut spans: Vec<Span> = vec![self.span];
        spans.extend(
            self.labels
                .iter()
                .filter(|(s, _)| s.file == self.span.file)
                .map(|(s, _)| *s),
        );
        let first_line = spans
            .iter()
            .map(|s| file.line_index(s.start))
            .min()
            .unwrap_or(0);
        let last_line = spans
            .iter()
            .map(|s| file.line_index(s.end.max(s.start + 1) - 1))
            .max()
            .unwrap_or(0);
        let start = file.line_start(first_line);
        let end = file.text[file.line_start(last_line)..]
            .find('\n')
            .map_or(file.text.len(), |i| file.line_start(last_line) + i);
        let clamp = |s: Span| {
            let a = (s.start as usize).clamp(start, end) - start;
            let b = (s.end as usize).clamp(start, end) - start;
            a..b.max(a)
        };

        let mut snippet = Snippet::source(&file.text[start..end])
            .line_start(first_line + 1)
            .path(path.as_str())
            .fold(true)
            .annotation(AnnotationKind::Primary.span(clamp(self.span)));
        for (span, label) in &self.labels {
            if span.file == self.span.file {
                snippet = snippet.annotation(
                    AnnotationKind::Context
                        .span(clamp(*span))
                        .label(label.as_str()),
                );
            }
        }
        let mut report = level.primary_title(title).element(snippet);
        for (span, label) in &self.labels {
            if span.file != self.span.file {
                let (p, lc) = sources.location(*span);
                report = report
                    .element(Level::NOTE.message(format!("{label} at {p}:{}:{}", lc.line, lc.col)));
            }
        }
        if let Some(mut parent) = file.included_from {
            loop {
                let (p, lc) = sources.location(parent);
                report = report.element(
                    Level::NOTE
                        .message(format!("in file included from {p}:{}:{}", lc.line, lc.col)),
                );
                match sources.file(parent.file).included_from {
                    Some(next) => parent = next,
                    None => break,
                }
            }
        }
        if let Some(help) = &self.help {
            report = report.element(Level::HELP.message(help.as_str()));
        }
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&[report])
    }
}

/// Collects diagnostics and decides their severity.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    strict: bool,
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    /// A sink; `strict` makes documentation rules errors.
    pub(crate) fn new(strict: bool) -> Diagnostics {
        Diagnostics {
            strict,
            list: Vec::new(),
        }
    }

    /// Whether documentation rules are errors in this run.
    pub(crate) fn is_strict(&self) -> bool {
        self.strict
    }

    /// Records a diagnostic, setting its severity from its rule.
    pub(crate) fn report(&mut self, mut diagnostic: Diagnostic) {
        diagnostic.severity = match diagnostic.rule {
            Rule::Language => Severity::Error,
            Rule::Documentation if self.strict => Severity::Error,
            Rule::Documentation => Severity::Warning,
        };
        self.list.push(diagnostic);
    }

    /// Whether any error (not warning) was reported.
    pub(crate) fn has_errors(&self) -> bool {
        self.list.iter().any(|d| d.severity == Severity::Error)
    }

    /// Takes the collected diagnostics.
    pub(crate) fn into_vec(self) -> Vec<Diagnostic> {
        self.list
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

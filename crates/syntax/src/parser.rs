//! A hand-written recursive-descent parser (Pratt parsing for binary operators) that recovers
//! from errors.
//!
//! [`parse`] always returns a [`Module`] together with every problem found, so one run reports
//! several independent errors. How recovery works:
//!
//! - A syntax error is reported once and puts the parser in *recovering* mode, in which further
//!   errors are not reported; where an expression was expected an [`ExprKind::Error`] stands in.
//! - The parser leaves recovering mode at a synchronisation point: a `;` that ends a statement
//!   (or, failing that, skipping to the next `;` or the enclosing `}`), the end of a match arm or
//!   example row, the next item keyword at the top level, or a closing delimiter. Skipping steps
//!   over whole bracketed groups, using a table of matching delimiters computed before parsing,
//!   so that an error inside `f(..)` resumes after its `)` and not at some inner `;`.
//! - A missing `;` before a new line, a statement keyword or `}` is reported and then assumed,
//!   so the next statement is still checked.
//! - At most one error is reported per token, and none at a token that directly follows
//!   characters the lexer already rejected.
//!
//! Every loop consumes a token or stops, and nesting deeper than [`MAX_DEPTH`] is an error
//! rather than a stack overflow, so no input makes the parser hang or panic.

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::{lex, Token, TokenKind as T};
use crate::span::{FileId, Span};

/// How deeply expressions, blocks, types and example values may nest: parentheses, blocks,
/// calls, brackets, unary operators, indices, `else if`, and the right operand of a binary
/// operator each count one level. A left-associative chain of binary operators
/// (`a + b + … + z`) is read in a loop and does not deepen the nesting however long it is.
pub const MAX_DEPTH: u32 = 256;

/// At most this many diagnostics are returned; a last one says that more were cut off.
pub const MAX_ERRORS: usize = 100;

/// Binding power of `+`/`-`: range bounds in types are parsed at this level and tighter, so
/// that `a < b..c` needs parentheses.
const ADDITIVE: u8 = BinOp::Add.binding_power();

/// Parses one `.wft` file. The diagnostics are sorted by position; the module is complete
/// (with [`ExprKind::Error`] placeholders) even when there are errors.
pub fn parse(file: FileId, text: &str) -> (Module, Vec<Diagnostic>) {
    let (tokens, mut diags) = lex(file, text);
    let mut parser = Parser::new(file, text, tokens);
    let module = parser.module();
    diags.append(&mut parser.diags);
    diags.sort_by_key(|d| d.span.map_or(0, |s| s.start));
    if diags.len() > MAX_ERRORS {
        let next = diags[MAX_ERRORS].span.unwrap_or_default();
        diags.truncate(MAX_ERRORS);
        diags.push(
            Diagnostic::error(
                format!("too many errors; only the first {MAX_ERRORS} are shown"),
                next,
            )
            .with_label("more errors from here on"),
        );
    }
    (module, diags)
}

fn binop(kind: &T) -> Option<(BinOp, u8)> {
    let op = match kind {
        T::OrOr => BinOp::Or,
        T::Caret => BinOp::Xor,
        T::AndAnd => BinOp::And,
        T::EqEq => BinOp::Eq,
        T::Ne => BinOp::Ne,
        T::Lt => BinOp::Lt,
        T::Le => BinOp::Le,
        T::Gt => BinOp::Gt,
        T::Ge => BinOp::Ge,
        T::Plus => BinOp::Add,
        T::Minus => BinOp::Sub,
        T::Star => BinOp::Mul,
        T::Slash => BinOp::Div,
        T::Percent => BinOp::Rem,
        _ => return None,
    };
    Some((op, op.binding_power()))
}

fn closer_of(open: &T) -> T {
    match open {
        T::LParen => T::RParen,
        T::LBracket => T::RBracket,
        _ => T::RBrace,
    }
}

/// For every delimiter token, the index of its partner. Mismatches are resolved the way a
/// reader would: a closer pops openers of other kinds (left unclosed) down to one of its own
/// kind; a closer with no opener of its kind open is stray.
fn partners(toks: &[Token]) -> Vec<Option<usize>> {
    let mut partner = vec![None; toks.len()];
    let mut stack: Vec<usize> = Vec::new();
    let mut open_count = [0usize; 3];
    let slot = |k: &T| match k {
        T::LParen | T::RParen => 0,
        T::LBracket | T::RBracket => 1,
        _ => 2,
    };
    for (i, tok) in toks.iter().enumerate() {
        match tok.kind {
            T::LParen | T::LBracket | T::LBrace => {
                open_count[slot(&tok.kind)] += 1;
                stack.push(i);
            }
            T::RParen | T::RBracket | T::RBrace => {
                if open_count[slot(&tok.kind)] == 0 {
                    continue;
                }
                while let Some(j) = stack.pop() {
                    open_count[slot(&toks[j].kind)] -= 1;
                    if slot(&toks[j].kind) == slot(&tok.kind) {
                        partner[i] = Some(j);
                        partner[j] = Some(i);
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    partner
}

enum StmtOrTail {
    Stmt(Stmt),
    Tail(Expr),
}

struct Parser<'a> {
    file: FileId,
    text: &'a str,
    toks: Vec<Token>,
    partner: Vec<Option<usize>>,
    pos: usize,
    diags: Vec<Diagnostic>,
    /// An error was reported and the parser has not yet reached a synchronisation point.
    recovering: bool,
    /// Token index of the last reported syntax error (one error per token).
    last_error_at: Option<usize>,
    depth: u32,
    /// "nesting too deep" is reported once: every level around the first one is too deep too.
    too_deep_reported: bool,
    /// Number of enclosing `{ }` bodies (blocks, example lists).
    blocks: u32,
    /// The innermost block's `{` has no matching `}`: an item keyword ends it.
    in_unclosed_block: bool,
}

impl<'a> Parser<'a> {
    fn new(file: FileId, text: &'a str, toks: Vec<Token>) -> Parser<'a> {
        let partner = partners(&toks);
        Parser {
            file,
            text,
            toks,
            partner,
            pos: 0,
            diags: Vec::new(),
            recovering: false,
            last_error_at: None,
            depth: 0,
            too_deep_reported: false,
            blocks: 0,
            in_unclosed_block: false,
        }
    }

    // ---- token access --------------------------------------------------------------------

    fn peek(&self) -> &T {
        &self.toks[self.pos].kind
    }

    /// The token `n` places ahead (the end of file past the end).
    fn nth(&self, n: usize) -> &T {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].kind
    }

    fn at(&self, kind: &T) -> bool {
        self.peek() == kind
    }

    fn span(&self) -> Span {
        self.toks[self.pos].span
    }

    /// Consumes the current token (never the final `Eof`) and returns its span.
    fn bump(&mut self) -> Span {
        let span = self.span();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        span
    }

    fn eat(&mut self, kind: &T) -> bool {
        let yes = self.at(kind);
        if yes {
            self.bump();
        }
        yes
    }

    /// An empty span right after the previous token.
    fn prev_end(&self) -> Span {
        let end = if self.pos == 0 {
            0
        } else {
            self.toks[self.pos - 1].span.end
        };
        Span::new(self.file, end, end)
    }

    /// From `start` to the end of the previous token.
    fn finish(&self, start: Span) -> Span {
        Span::new(self.file, start.start, start.start.max(self.prev_end().end))
    }

    /// Where to point at the current token: the end of file is shown right after the last token.
    fn found_span(&self) -> Span {
        if self.at(&T::Eof) {
            self.prev_end()
        } else {
            self.span()
        }
    }

    fn newline_before(&self) -> bool {
        let from = self.prev_end().end as usize;
        let to = self.span().start as usize;
        self.text
            .as_bytes()
            .get(from..to)
            .is_some_and(|gap| gap.contains(&b'\n'))
    }

    fn at_block_end(&self) -> bool {
        match self.peek() {
            T::RBrace | T::Eof => true,
            k => self.in_unclosed_block && k.is_item_keyword(),
        }
    }

    /// Where a missing `;` may be assumed and parsing go on normally.
    fn at_stmt_boundary(&self) -> bool {
        matches!(
            self.peek(),
            T::RBrace | T::Eof | T::Let | T::For | T::Observe | T::Cost | T::If | T::Match
        ) || self.peek().is_item_keyword()
            || self.newline_before()
    }

    // ---- errors --------------------------------------------------------------------------

    /// Reports a syntax error at the current token (unless recovering) and starts recovering.
    fn error(&mut self, diag: Diagnostic) {
        let quiet = self.recovering
            || self.last_error_at == Some(self.pos)
            || self.toks[self.pos].after_lex_error;
        if !quiet {
            self.report(diag);
            self.last_error_at = Some(self.pos);
        }
        self.recovering = true;
    }

    /// Records a diagnostic, keeping only the first ones (see [`MAX_ERRORS`]).
    fn report(&mut self, diag: Diagnostic) {
        if self.diags.len() <= MAX_ERRORS {
            self.diags.push(diag);
        }
    }

    fn expected_diag(&self, what: &str, ctx: &str) -> Diagnostic {
        Diagnostic::error(
            format!("expected {what}{ctx}, found {}", self.peek().describe()),
            self.found_span(),
        )
        .with_label(format!("expected {what}"))
    }

    fn expected(&mut self, what: &str, ctx: &str) {
        let diag = self.expected_diag(what, ctx);
        self.error(diag);
    }

    fn expect(&mut self, kind: &T, ctx: &str) -> bool {
        if self.eat(kind) {
            return true;
        }
        self.expected(&format!("`{}`", kind.text().unwrap_or_default()), ctx);
        false
    }

    /// Expects the `;` that ends a statement, item or example row; finding it ends recovery.
    fn expect_semi(&mut self, ctx: &str) {
        if self.eat(&T::Semi) {
            self.recovering = false;
            return;
        }
        if self.at(&T::Eof) && self.blocks > 0 {
            // The unclosed `{` around us is the real problem; it is reported at its end.
            self.recovering = true;
            return;
        }
        let diag = Diagnostic::error(
            format!("expected `;` {ctx}, found {}", self.peek().describe()),
            self.prev_end(),
        )
        .with_label("expected `;`");
        let assume_semi = !self.recovering && self.at_stmt_boundary();
        self.error(diag);
        if assume_semi {
            self.recovering = false;
        }
    }

    /// Consumes the closing partner of the delimiter at token index `open`. If something else
    /// is there, reports it and skips to the partner when there is one (ending recovery: the
    /// parser is back in step), else leaves the parser recovering. Returns the closer's span.
    fn close(&mut self, open: usize, expected: &str) -> Span {
        let opener = self.toks[open].kind.clone();
        if self.at(&closer_of(&opener)) {
            return self.bump();
        }
        let mut diag = self.expected_diag(expected, "");
        let partner = self.partner[open];
        if partner.is_none() {
            let text = opener.text().unwrap_or_default();
            diag = diag.with_secondary(
                self.toks[open].span,
                format!("this `{text}` is never closed"),
            );
        }
        self.error(diag);
        match partner {
            Some(m) if m > self.pos => {
                self.pos = m;
                self.recovering = false;
                self.bump()
            }
            _ => self.prev_end(),
        }
    }

    /// Enters one level of nesting, or reports that the input nests too deeply.
    fn enter(&mut self) -> bool {
        if self.depth >= MAX_DEPTH {
            if std::mem::replace(&mut self.too_deep_reported, true) {
                self.recovering = true;
                return false;
            }
            let diag = Diagnostic::error("nesting too deep", self.found_span())
                .with_label(format!("more than {MAX_DEPTH} levels deep here"))
                .with_note("help: split the expression with `let` bindings");
            self.error(diag);
            return false;
        }
        self.depth += 1;
        true
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn error_expr(&self) -> Expr {
        Expr {
            kind: ExprKind::Error,
            span: self.found_span(),
        }
    }

    /// A type standing in for one that could not be parsed: a range with erroneous bounds, so
    /// that whatever evaluates it meets an [`ExprKind::Error`].
    fn error_type(&self) -> TypeExpr {
        let span = self.found_span();
        let err = || {
            Box::new(Expr {
                kind: ExprKind::Error,
                span,
            })
        };
        TypeExpr {
            kind: TypeExprKind::Range(err(), err()),
            span,
        }
    }

    /// Skips tokens, stepping over bracketed groups, until `stop` holds for the current token.
    fn skip_until(&mut self, stop: impl Fn(&T) -> bool) {
        loop {
            let kind = self.peek();
            if *kind == T::Eof || stop(kind) {
                return;
            }
            match self.partner[self.pos] {
                Some(m) if m > self.pos && matches!(kind, T::LParen | T::LBracket | T::LBrace) => {
                    self.pos = m;
                    self.bump();
                }
                _ => {
                    self.bump();
                }
            }
        }
    }

    fn comma_list<R>(&mut self, close: &T, mut item: impl FnMut(&mut Self) -> R) -> Vec<R> {
        let mut items = Vec::new();
        while !self.at(close) && !self.at(&T::Eof) {
            items.push(item(self));
            if self.recovering || !self.eat(&T::Comma) {
                break;
            }
        }
        items
    }

    fn ident(&mut self, what: &str, ctx: &str) -> Ident {
        if let T::Ident(name) = self.peek() {
            let name = name.clone();
            let span = self.bump();
            return Ident { name, span };
        }
        self.expected(what, ctx);
        Ident {
            name: String::new(),
            span: self.found_span(),
        }
    }

    // ---- items ---------------------------------------------------------------------------

    fn module(&mut self) -> Module {
        let mut items = Vec::new();
        while !self.at(&T::Eof) {
            let before = self.pos;
            if let Some(item) = self.item() {
                items.push(item);
            }
            if self.recovering {
                self.skip_until(|k| k.is_item_keyword() || *k == T::Semi);
                self.eat(&T::Semi);
                self.recovering = false;
            }
            if self.pos == before {
                self.bump();
            }
        }
        Module { items }
    }

    fn item(&mut self) -> Option<Item> {
        Some(match self.peek() {
            T::Param => Item::Param(self.param()),
            T::Enum => Item::Enum(self.enum_decl()),
            T::Hole => Item::Hole(self.hole()),
            T::Fn => Item::Fn(self.fn_decl()),
            T::Sketch => Item::Sketch(self.sketch()),
            T::Examples => Item::Examples(self.examples()),
            T::RParen | T::RBracket | T::RBrace => {
                let text = self.peek().text().unwrap_or_default();
                let diag = Diagnostic::error(
                    format!("unexpected closing delimiter `{text}`"),
                    self.span(),
                )
                .with_label("no matching opening delimiter");
                self.error(diag);
                self.bump();
                self.recovering = false;
                return None;
            }
            _ => {
                let diag = self.expected_diag("an item", "").with_note(
                    "note: a file holds `param`, `enum`, `hole`, `fn`, `sketch` and `examples` items",
                );
                self.error(diag);
                return None;
            }
        })
    }

    fn param(&mut self) -> ParamDecl {
        let start = self.bump();
        let name = self.ident("a parameter name", " after `param`");
        let value = if self.expect(&T::Eq, " after the parameter name") {
            self.expr()
        } else {
            self.error_expr()
        };
        self.expect_semi("after parameter");
        ParamDecl {
            name,
            value,
            span: self.finish(start),
        }
    }

    fn enum_decl(&mut self) -> EnumDecl {
        let start = self.bump();
        let name = self.ident("an enum name", " after `enum`");
        let mut variants = Vec::new();
        if self.at(&T::LBrace) {
            let open = self.pos;
            self.bump();
            variants = self.comma_list(&T::RBrace, |p| p.ident("a variant name", ""));
            self.close(open, "`,` or `}`");
        } else {
            self.expected("`{`", " after the enum name");
        }
        EnumDecl {
            name,
            variants,
            span: self.finish(start),
        }
    }

    fn hole(&mut self) -> HoleDecl {
        let start = self.bump();
        let name = self.ident("a hole name", " after `hole`");
        let ty = if self.expect(&T::Colon, " after the hole name") {
            self.ty()
        } else {
            self.error_type()
        };
        self.expect_semi("after hole declaration");
        HoleDecl {
            name,
            ty,
            span: self.finish(start),
        }
    }

    fn fn_decl(&mut self) -> FnDecl {
        let start = self.bump();
        let name = self.ident("a function name", " after `fn`");
        let params = self.bindings();
        let ret = if self.eat(&T::Arrow) {
            self.ty()
        } else {
            let ret = self.error_type();
            let diag = self
                .expected_diag("`->`", &format!(" after the parameters of `{}`", name.name))
                .with_note("help: a function declares its return type: `fn f(a: T) -> R { .. }`");
            let body_follows = !self.recovering && self.at(&T::LBrace);
            self.error(diag);
            if body_follows {
                self.recovering = false;
            }
            ret
        };
        let body = self.block();
        FnDecl {
            name,
            params,
            ret,
            body,
            span: self.finish(start),
        }
    }

    fn sketch(&mut self) -> SketchDecl {
        let start = self.bump();
        let name = self.ident("a sketch name", " after `sketch`");
        let inputs = self.bindings();
        let outputs = if !self.eat(&T::Arrow) {
            Outputs::None
        } else if self.at(&T::LParen)
            && matches!(
                (self.nth(1), self.nth(2)),
                (T::RParen, _) | (T::Ident(_), T::Colon)
            )
        {
            // `-> (o: T, ..)`; a type may start with `(` too: `-> (n - 1)..n`.
            Outputs::Named(self.bindings())
        } else {
            Outputs::Single(self.ty())
        };
        let body = self.block();
        SketchDecl {
            name,
            inputs,
            outputs,
            body,
            span: self.finish(start),
        }
    }

    fn bindings(&mut self) -> Vec<Binding> {
        if !self.at(&T::LParen) {
            self.expected("`(`", "");
            return Vec::new();
        }
        let open = self.pos;
        self.bump();
        let bindings = self.comma_list(&T::RParen, |p| {
            let name = p.ident("a name", "");
            let ty = if p.expect(&T::Colon, &format!(" after `{}`", name.name)) {
                p.ty()
            } else {
                p.error_type()
            };
            Binding { name, ty }
        });
        self.close(open, "`,` or `)`");
        bindings
    }

    fn examples(&mut self) -> ExamplesDecl {
        let start = self.bump();
        let source = match self.peek() {
            T::Str(path) => {
                let path = path.clone();
                let span = self.bump();
                self.expect_semi("after the examples file");
                ExampleSource::File(path, span)
            }
            T::LBrace => ExampleSource::Inline(self.example_rows()),
            _ => {
                self.expected("`{` or a file name", " after `examples`");
                ExampleSource::Inline(Vec::new())
            }
        };
        ExamplesDecl {
            source,
            span: self.finish(start),
        }
    }

    fn example_rows(&mut self) -> Vec<ExampleRow> {
        let open = self.pos;
        self.bump();
        let unclosed = self.partner[open].is_none();
        self.blocks += 1;
        let mut rows = Vec::new();
        loop {
            match self.peek() {
                T::RBrace | T::Eof => break,
                T::Semi => {
                    self.bump();
                    continue;
                }
                k if unclosed && k.is_item_keyword() => break,
                _ => {}
            }
            let before = self.pos;
            rows.push(self.example_row());
            if self.recovering {
                self.skip_until(|k| {
                    matches!(k, T::Semi | T::RBrace) || (unclosed && k.is_item_keyword())
                });
                self.eat(&T::Semi);
                self.recovering = false;
            }
            if self.pos == before && !self.at(&T::RBrace) {
                self.bump();
            }
        }
        self.blocks -= 1;
        self.close(open, "`}`");
        rows
    }

    fn example_row(&mut self) -> ExampleRow {
        let start = self.span();
        let inputs = self.example_side();
        let outputs = if self.expect(&T::FatArrow, " after the example inputs") {
            self.example_side()
        } else {
            Vec::new()
        };
        self.expect_semi("after example row");
        ExampleRow {
            inputs,
            outputs,
            span: self.finish(start),
        }
    }

    /// One value, or a parenthesised tuple of values (`(v)` is one value).
    fn example_side(&mut self) -> Vec<ValueLit> {
        if !self.at(&T::LParen) {
            return vec![self.value()];
        }
        let open = self.pos;
        self.bump();
        let values = self.comma_list(&T::RParen, |p| p.value());
        self.close(open, "`,` or `)`");
        values
    }

    fn value(&mut self) -> ValueLit {
        if !self.enter() {
            return ValueLit {
                kind: ValueLitKind::DontCare,
                span: self.found_span(),
            };
        }
        let value = self.value_inner();
        self.leave();
        value
    }

    fn value_inner(&mut self) -> ValueLit {
        let start = self.span();
        let kind = match self.peek().clone() {
            T::Int(v) => {
                self.bump();
                ValueLitKind::Int(v)
            }
            T::Minus => {
                self.bump();
                match *self.peek() {
                    T::Int(v) => {
                        self.bump();
                        ValueLitKind::Int(-v)
                    }
                    _ => {
                        self.expected("an integer", " after `-`");
                        ValueLitKind::DontCare
                    }
                }
            }
            T::True => {
                self.bump();
                ValueLitKind::Bool(true)
            }
            T::False => {
                self.bump();
                ValueLitKind::Bool(false)
            }
            T::Underscore => {
                self.bump();
                ValueLitKind::DontCare
            }
            T::Ident(name) => {
                self.bump();
                if self.eat(&T::ColonColon) {
                    let variant = self.ident("a variant name", " after `::`");
                    ValueLitKind::Variant(Some(name), variant.name)
                } else {
                    ValueLitKind::Variant(None, name)
                }
            }
            T::LBracket => {
                let open = self.pos;
                self.bump();
                let values = self.comma_list(&T::RBracket, |p| p.value());
                self.close(open, "`,` or `]`");
                ValueLitKind::Array(values)
            }
            _ => {
                let diag = self.expected_diag("a value", "").with_note(
                    "note: example values are integers, `true`, `false`, enum variants, arrays `[..]` and `_`",
                );
                self.error(diag);
                ValueLitKind::DontCare
            }
        };
        ValueLit {
            kind,
            span: self.finish(start),
        }
    }

    // ---- types ---------------------------------------------------------------------------

    fn ty(&mut self) -> TypeExpr {
        if !self.enter() {
            return self.error_type();
        }
        let ty = self.ty_inner();
        self.leave();
        ty
    }

    fn ty_inner(&mut self) -> TypeExpr {
        let start = self.span();
        let kind = match self.peek() {
            T::Bool => {
                self.bump();
                TypeExprKind::Bool
            }
            T::LBracket => {
                let open = self.pos;
                self.bump();
                let elem = self.ty();
                let len = if self.expect(&T::Semi, " after the element type") {
                    self.expr()
                } else {
                    self.error_expr()
                };
                self.close(open, "`]`");
                TypeExprKind::Array(Box::new(elem), Box::new(len))
            }
            T::Int(_)
            | T::True
            | T::False
            | T::Ident(_)
            | T::LParen
            | T::Minus
            | T::Bang
            | T::If
            | T::Match => {
                let lo = self.expr_bp(ADDITIVE, true, false);
                if self.eat(&T::DotDot) {
                    let hi = self.expr_bp(ADDITIVE, true, false);
                    TypeExprKind::Range(Box::new(lo), Box::new(hi))
                } else if let ExprKind::Name(name) = &lo.kind {
                    TypeExprKind::Named(Ident {
                        name: name.clone(),
                        span: lo.span,
                    })
                } else {
                    let diag = self
                        .expected_diag("`..`", " in range type")
                        .with_note("help: a range type is written `lo..hi`");
                    self.error(diag);
                    TypeExprKind::Range(Box::new(lo), Box::new(self.error_expr()))
                }
            }
            _ => {
                let diag = self.expected_diag("a type", "").with_note(
                    "note: a type is `bool`, a range `lo..hi`, an enum name or an array `[T; N]`",
                );
                self.error(diag);
                return self.error_type();
            }
        };
        TypeExpr {
            kind,
            span: self.finish(start),
        }
    }

    // ---- blocks and statements -----------------------------------------------------------

    fn block(&mut self) -> Block {
        if !self.at(&T::LBrace) {
            self.expected("`{`", "");
            return Block {
                stmts: Vec::new(),
                tail: None,
                span: self.found_span(),
            };
        }
        if !self.enter() {
            return Block {
                stmts: Vec::new(),
                tail: None,
                span: self.found_span(),
            };
        }
        let block = self.block_inner();
        self.leave();
        block
    }

    fn block_inner(&mut self) -> Block {
        let open = self.pos;
        let start = self.bump();
        let unclosed = self.partner[open].is_none();
        let saved = std::mem::replace(&mut self.in_unclosed_block, unclosed);
        self.blocks += 1;
        let mut stmts = Vec::new();
        let mut tail: Option<Box<Expr>> = None;
        loop {
            match self.peek() {
                T::Eof => break,
                T::RBrace => {
                    let ours = self.partner[open].is_none_or(|m| m <= self.pos);
                    if ours {
                        break;
                    }
                    let diag = Diagnostic::error("unexpected closing delimiter `}`", self.span())
                        .with_label("no matching `{`");
                    self.error(diag);
                    self.bump();
                    self.recovering = false;
                    continue;
                }
                T::Semi => {
                    self.bump();
                    continue;
                }
                k if unclosed && k.is_item_keyword() => break,
                _ => {}
            }
            if let Some(expr) = tail.take() {
                stmts.push(Stmt {
                    span: expr.span,
                    kind: StmtKind::Expr(*expr),
                });
            }
            let before = self.pos;
            match self.stmt() {
                Some(StmtOrTail::Stmt(stmt)) => stmts.push(stmt),
                Some(StmtOrTail::Tail(expr)) => tail = Some(Box::new(expr)),
                None => {}
            }
            if self.recovering {
                let unclosed = self.in_unclosed_block;
                self.skip_until(|k| {
                    matches!(
                        k,
                        T::Semi | T::RBrace | T::Let | T::For | T::Observe | T::Cost
                    ) || (unclosed && k.is_item_keyword())
                });
                self.eat(&T::Semi);
                self.recovering = false;
            }
            if self.pos == before && !self.at_block_end() {
                self.bump();
            }
        }
        self.blocks -= 1;
        self.in_unclosed_block = saved;
        let end = self.close(open, "`}`");
        Block {
            stmts,
            tail,
            span: start.to(end),
        }
    }

    // Each statement form has its own function to keep the frames on the recursion path small.
    fn stmt(&mut self) -> Option<StmtOrTail> {
        let start = self.span();
        let kind = match self.peek() {
            T::Let => self.let_stmt(),
            T::For => self.for_stmt(),
            T::Observe | T::Cost => self.observe_or_cost(),
            T::If | T::Match | T::LBrace => return Some(self.block_like_stmt(start)),
            k if k.is_item_keyword() => {
                self.item_in_block();
                return None;
            }
            _ => return Some(self.expr_stmt(start)),
        };
        Some(StmtOrTail::Stmt(Stmt {
            kind,
            span: self.finish(start),
        }))
    }

    fn let_stmt(&mut self) -> StmtKind {
        self.bump();
        let name = self.ident("a variable name", " after `let`");
        let ty = if self.eat(&T::Colon) {
            Some(self.ty())
        } else {
            None
        };
        let value = if self.expect(&T::Eq, " in `let` statement") {
            self.expr()
        } else {
            self.error_expr()
        };
        self.expect_semi("after `let` statement");
        StmtKind::Let { name, ty, value }
    }

    fn for_stmt(&mut self) -> StmtKind {
        self.bump();
        let var = self.ident("a loop variable", " after `for`");
        self.expect(&T::In, " after the loop variable");
        let lo = self.expr_nb();
        let hi = if self.expect(&T::DotDot, " in the loop range") {
            self.expr_nb()
        } else {
            self.error_expr()
        };
        let body = self.block();
        self.end_recovery_after_brace();
        StmtKind::For { var, lo, hi, body }
    }

    /// A statement that ends with the `}` of its body is complete, whatever went wrong
    /// inside it: the next statement starts in step.
    fn end_recovery_after_brace(&mut self) {
        if self.pos > 0 && self.toks[self.pos - 1].kind == T::RBrace {
            self.recovering = false;
        }
    }

    fn observe_or_cost(&mut self) -> StmtKind {
        let observe = self.at(&T::Observe);
        self.bump();
        let expr = self.expr();
        if observe {
            self.expect_semi("after `observe` statement");
            StmtKind::Observe(expr)
        } else {
            self.expect_semi("after `cost` statement");
            StmtKind::Cost(expr)
        }
    }

    /// Like Rust: a block-like expression at the start of a statement ends the statement.
    fn block_like_stmt(&mut self, start: Span) -> StmtOrTail {
        let expr = self.block_like();
        self.end_recovery_after_brace();
        if !self.eat(&T::Semi) && self.at_block_end() {
            return StmtOrTail::Tail(expr);
        }
        StmtOrTail::Stmt(Stmt {
            kind: StmtKind::Expr(expr),
            span: self.finish(start),
        })
    }

    fn item_in_block(&mut self) {
        let keyword = self.peek().text().unwrap_or_default();
        let diag = self.expected_diag("a statement", "").with_note(format!(
            "note: `{keyword}` items are only allowed at the top level"
        ));
        self.error(diag);
    }

    fn expr_stmt(&mut self, start: Span) -> StmtOrTail {
        let expr = self.expr();
        if self.eat(&T::Eq) {
            let value = self.expr();
            self.expect_semi("after assignment");
            let kind = match place(expr) {
                Ok((target, indices)) => StmtKind::Assign {
                    target,
                    indices,
                    value,
                },
                Err(target) => {
                    if target.kind != ExprKind::Error {
                        self.report(
                            Diagnostic::error("invalid assignment target", target.span)
                                .with_label("cannot assign to this expression")
                                .with_note("help: assign to a name, optionally indexed: `x = e;`, `x[i][j] = e;`"),
                        );
                    }
                    StmtKind::Expr(Expr {
                        kind: ExprKind::Error,
                        span: target.span,
                    })
                }
            };
            return StmtOrTail::Stmt(Stmt {
                kind,
                span: self.finish(start),
            });
        }
        if self.eat(&T::Semi) {
            self.recovering = false;
        } else if self.at_block_end() {
            return StmtOrTail::Tail(expr);
        } else {
            self.expect_semi("after expression");
        }
        StmtOrTail::Stmt(Stmt {
            kind: StmtKind::Expr(expr),
            span: self.finish(start),
        })
    }

    // ---- expressions ---------------------------------------------------------------------

    fn expr(&mut self) -> Expr {
        self.expr_bp(0, false, false)
    }

    /// An expression that may not start with `{` (the condition of `if`, the scrutinee of
    /// `match`, loop bounds), so that `if c { .. }` reads `c` and then the block.
    fn expr_nb(&mut self) -> Expr {
        self.expr_bp(0, true, false)
    }

    /// Pratt parsing: reads operators of binding power `min_bp` and up. `rhs`: this is the
    /// right operand of an operator, whose level of nesting was already counted.
    ///
    /// A left-associative chain (`a + b + … + z`) is read by the loop, each operator in turn:
    /// only the parsing of each right operand counts one level of nesting (and is left
    /// before the next operator), so the chain's length is not nesting.
    fn expr_bp(&mut self, min_bp: u8, no_block: bool, rhs: bool) -> Expr {
        if !rhs && !self.enter() {
            return self.error_expr();
        }
        let mut lhs = self.unary(no_block);
        while let Some((op, bp)) = binop(self.peek()) {
            if bp < min_bp || !self.enter() {
                break;
            }
            self.bump();
            // Left-associative: the right operand binds only tighter operators.
            let rhs = self.expr_bp(bp + 1, no_block, true);
            self.leave();
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
        if !rhs {
            self.leave();
        }
        lhs
    }

    fn unary(&mut self, no_block: bool) -> Expr {
        let op = match self.peek() {
            T::Minus => UnOp::Neg,
            T::Bang => UnOp::Not,
            _ => return self.postfix(no_block),
        };
        let start = self.bump();
        if !self.enter() {
            return self.error_expr();
        }
        let operand = self.unary(no_block);
        self.leave();
        Expr {
            span: start.to(operand.span),
            kind: ExprKind::Unary(op, Box::new(operand)),
        }
    }

    fn postfix(&mut self, no_block: bool) -> Expr {
        let mut expr = self.primary(no_block);
        let mut levels = 0;
        while self.at(&T::LBracket) && self.enter() {
            levels += 1;
            expr = self.index(expr);
        }
        self.depth -= levels;
        expr
    }

    /// `base[i]` or `base[lo..hi]`, at `[`.
    fn index(&mut self, base: Expr) -> Expr {
        let start = base.span;
        let open = self.pos;
        self.bump();
        let index = self.expr();
        let kind = if self.eat(&T::DotDot) {
            let hi = self.expr();
            ExprKind::Slice(Box::new(base), Box::new(index), Box::new(hi))
        } else {
            ExprKind::Index(Box::new(base), Box::new(index))
        };
        let expected = if matches!(kind, ExprKind::Slice(..)) {
            "`]`"
        } else {
            "`]` or `..`"
        };
        let end = self.close(open, expected);
        Expr {
            kind,
            span: start.to(end),
        }
    }

    // The parts of `primary` are separate functions so that each level of nesting costs
    // little stack in unoptimised builds (one frame holds the locals of every `match` arm).
    fn primary(&mut self, no_block: bool) -> Expr {
        match self.peek() {
            T::Int(_) | T::True | T::False => self.literal(),
            T::Ident(_) => self.name_or_call(),
            T::LParen => self.paren(),
            T::LBracket => self.array(),
            T::If | T::Match => self.block_like(),
            T::LBrace if !no_block => self.block_like(),
            _ => {
                self.expected("an expression", "");
                self.error_expr()
            }
        }
    }

    fn literal(&mut self) -> Expr {
        let kind = match *self.peek() {
            T::Int(v) => ExprKind::Int(v),
            T::True => ExprKind::Bool(true),
            _ => ExprKind::Bool(false),
        };
        Expr {
            kind,
            span: self.bump(),
        }
    }

    fn name_or_call(&mut self) -> Expr {
        let start = self.span();
        let name = match self.peek() {
            T::Ident(name) => name.clone(),
            _ => String::new(),
        };
        self.bump();
        let kind = if self.eat(&T::ColonColon) {
            let variant = self.ident("a variant name", " after `::`");
            ExprKind::Qualified(Ident { name, span: start }, variant)
        } else if self.at(&T::LParen) {
            let open = self.pos;
            self.bump();
            let args = self.comma_list(&T::RParen, |p| p.expr());
            self.close(open, "`,` or `)`");
            ExprKind::Call(Ident { name, span: start }, args)
        } else {
            ExprKind::Name(name)
        };
        Expr {
            kind,
            span: self.finish(start),
        }
    }

    fn paren(&mut self) -> Expr {
        let open = self.pos;
        let start = self.bump();
        let mut inner = self.expr();
        let end = self.close(open, "`)`");
        inner.span = start.to(end);
        inner
    }

    /// `[a, b, c]` or `[e; n]`.
    fn array(&mut self) -> Expr {
        let open = self.pos;
        let start = self.bump();
        if self.at(&T::RBracket) {
            let end = self.bump();
            return Expr {
                kind: ExprKind::Array(Vec::new()),
                span: start.to(end),
            };
        }
        let first = self.expr();
        let kind = if self.eat(&T::Semi) {
            let count = self.expr();
            self.close(open, "`]`");
            ExprKind::Repeat(Box::new(first), Box::new(count))
        } else {
            let mut elems = vec![first];
            while !self.recovering && self.eat(&T::Comma) && !self.at(&T::RBracket) {
                elems.push(self.expr());
            }
            self.close(open, "`,` or `]`");
            ExprKind::Array(elems)
        };
        Expr {
            kind,
            span: self.finish(start),
        }
    }

    /// `if`, `match` or a block `{ .. }`.
    fn block_like(&mut self) -> Expr {
        if !self.enter() {
            return self.error_expr();
        }
        let expr = match self.peek() {
            T::If => self.if_expr(),
            T::Match => self.match_expr(),
            _ => {
                let block = self.block();
                Expr {
                    span: block.span,
                    kind: ExprKind::Block(block),
                }
            }
        };
        self.leave();
        expr
    }

    /// `if c { .. } else if d { .. } else { .. }`, read as a loop over the `else if` chain.
    fn if_expr(&mut self) -> Expr {
        let mut branches: Vec<(Span, Expr, Block)> = Vec::new();
        let mut otherwise: Option<Expr> = None;
        let mut levels = 0;
        loop {
            let start = self.bump();
            let cond = self.expr_nb();
            let then = self.block();
            branches.push((start, cond, then));
            if !self.eat(&T::Else) {
                break;
            }
            if self.at(&T::If) {
                if self.enter() {
                    levels += 1;
                    continue;
                }
                break;
            }
            if self.at(&T::LBrace) {
                let block = self.block();
                otherwise = Some(Expr {
                    span: block.span,
                    kind: ExprKind::Block(block),
                });
            } else {
                self.expected("`{` or `if`", " after `else`");
                otherwise = Some(self.error_expr());
            }
            break;
        }
        self.depth -= levels;
        let mut acc = otherwise;
        while let Some((start, cond, then)) = branches.pop() {
            let end = acc.as_ref().map_or(then.span, |e| e.span);
            let kind = ExprKind::If(Box::new(cond), then, acc.map(Box::new));
            acc = Some(Expr {
                kind,
                span: start.to(end),
            });
        }
        acc.expect("an if expression has at least one branch")
    }

    fn match_expr(&mut self) -> Expr {
        let start = self.bump();
        let scrutinee = self.expr_nb();
        let mut arms = Vec::new();
        if !self.at(&T::LBrace) {
            self.expected("`{`", " after the `match` scrutinee");
            return Expr {
                kind: ExprKind::Match(Box::new(scrutinee), arms),
                span: self.finish(start),
            };
        }
        let open = self.pos;
        self.bump();
        let unclosed = self.partner[open].is_none();
        loop {
            match self.peek() {
                T::RBrace | T::Eof => break,
                k if unclosed && k.is_item_keyword() => break,
                _ => {}
            }
            let before = self.pos;
            if let Some(arm) = self.arm() {
                arms.push(arm);
            }
            if self.recovering {
                self.skip_until(|k| {
                    matches!(k, T::Comma | T::RBrace) || (unclosed && k.is_item_keyword())
                });
                self.eat(&T::Comma);
                self.recovering = false;
            }
            if self.pos == before && !self.at(&T::RBrace) {
                self.bump();
            }
        }
        let end = self.close(open, "`}`");
        Expr {
            kind: ExprKind::Match(Box::new(scrutinee), arms),
            span: start.to(end),
        }
    }

    fn arm(&mut self) -> Option<MatchArm> {
        let start = self.span();
        let mut patterns = vec![self.pattern()?];
        while self.eat(&T::Pipe) {
            patterns.push(self.pattern()?);
        }
        if !self.expect(&T::FatArrow, " after the match pattern") {
            return None;
        }
        let body = if matches!(self.peek(), T::LBrace | T::If | T::Match) {
            // Like Rust: the comma after a block-like body is optional.
            let body = self.block_like();
            self.eat(&T::Comma);
            body
        } else {
            let body = self.expr();
            if !self.eat(&T::Comma) && !self.at(&T::RBrace) && !self.recovering {
                let diag = self.expected_diag("`,` or `}`", " after match arm");
                let assume_comma = self.newline_before();
                self.error(diag);
                if assume_comma {
                    self.recovering = false;
                }
            }
            body
        };
        Some(MatchArm {
            patterns,
            body,
            span: self.finish(start),
        })
    }

    fn pattern(&mut self) -> Option<Pattern> {
        let start = self.span();
        let kind = match self.peek().clone() {
            T::Underscore => {
                self.bump();
                PatternKind::Wildcard
            }
            T::Int(v) => {
                self.bump();
                PatternKind::Int(v)
            }
            T::Minus => {
                self.bump();
                let T::Int(v) = *self.peek() else {
                    self.expected("an integer", " after `-` in a pattern");
                    return None;
                };
                self.bump();
                PatternKind::Int(-v)
            }
            T::True => {
                self.bump();
                PatternKind::Bool(true)
            }
            T::False => {
                self.bump();
                PatternKind::Bool(false)
            }
            T::Ident(name) => {
                self.bump();
                let first = Ident { name, span: start };
                if self.eat(&T::ColonColon) {
                    PatternKind::Variant(Some(first), self.ident("a variant name", " after `::`"))
                } else {
                    PatternKind::Variant(None, first)
                }
            }
            _ => {
                let diag = self.expected_diag("a pattern", "").with_note(
                    "note: a pattern is `_`, an integer, `true`, `false` or an enum variant",
                );
                self.error(diag);
                return None;
            }
        };
        Some(Pattern {
            kind,
            span: self.finish(start),
        })
    }
}

/// Splits a place expression `x[i][j]` into its name and indices; anything else is returned.
fn place(expr: Expr) -> Result<(Ident, Vec<Expr>), Expr> {
    fn is_place(e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Name(_) => true,
            ExprKind::Index(base, _) => is_place(base),
            _ => false,
        }
    }
    if !is_place(&expr) {
        return Err(expr);
    }
    let mut indices = Vec::new();
    let mut cur = expr;
    loop {
        match std::mem::replace(&mut cur.kind, ExprKind::Error) {
            ExprKind::Index(base, index) => {
                indices.push(*index);
                cur = *base;
            }
            ExprKind::Name(name) => {
                indices.reverse();
                return Ok((
                    Ident {
                        name,
                        span: cur.span,
                    },
                    indices,
                ));
            }
            _ => unreachable!("checked by is_place"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_expr(src: &str) -> Expr {
        let (m, diags) = parse(FileId(0), &format!("param p = {src};"));
        assert!(diags.is_empty(), "{diags:?}");
        match m.items.into_iter().next() {
            Some(Item::Param(p)) => p.value,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn partners_resolve_mismatches() {
        let (toks, _) = lex(FileId(0), "{ ( } ) ]");
        let p = partners(&toks);
        assert_eq!(p[0], Some(2));
        assert_eq!(p[1], None);
        assert_eq!(p[3], None);
        assert_eq!(p[4], None);
    }

    #[test]
    fn binary_is_left_associative() {
        let e = first_expr("a - b - c");
        let ExprKind::Binary(BinOp::Sub, lhs, _) = &e.kind else {
            panic!()
        };
        assert!(matches!(lhs.kind, ExprKind::Binary(BinOp::Sub, _, _)));
    }

    #[test]
    fn spans_cover_the_expression() {
        let e = first_expr("(a + b)[2]");
        assert_eq!((e.span.start, e.span.end), (10, 20));
    }
}

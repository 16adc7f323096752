//! Request bodies (PROPFIND, PROPPATCH, LOCK) parsed into a small, bounded tree with every
//! name resolved to its namespace; and the escaping and re-serialising the responses need.
//! No DTD is ever read (a `<!DOCTYPE` is refused, so entity bombs cannot start), nesting
//! and size are bounded, and a prefix bound to the empty namespace is an error (RFC 4918
//! clients must send namespace-well-formed XML).

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

/// The WebDAV namespace.
pub const DAV: &str = "DAV:";
/// Deepest nesting a request body may have.
pub const MAX_DEPTH: usize = 32;
/// Most elements and text nodes a request body may hold.
pub const MAX_NODES: usize = 10_000;

/// An element with its resolved namespace (`""` for none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub ns: String,
    pub name: String,
    /// Attributes other than namespace declarations: (namespace, local name, value).
    pub attrs: Vec<(String, String, String)>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
}

/// Why a body is not usable XML; the message is safe to show.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct XmlError(pub String);

fn bad(what: impl std::fmt::Display) -> XmlError {
    XmlError(format!("the XML body is not well-formed: {what}"))
}

impl Element {
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    /// Child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|node| match node {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, name))
    }

    /// The text content, concatenated and trimmed.
    pub fn text(&self) -> String {
        self.text_untrimmed().trim().to_owned()
    }

    /// The text content, concatenated as sent.
    pub fn text_untrimmed(&self) -> String {
        let mut out = String::new();
        for node in &self.children {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => out.push_str(&e.text_untrimmed()),
            }
        }
        out
    }

    /// The children as a self-contained XML fragment: every element declares the
    /// namespace it is in, so the fragment means the same wherever it is pasted.
    pub fn inner_xml(&self) -> String {
        let mut out = String::new();
        for node in &self.children {
            write_node(&mut out, node, 0);
        }
        out
    }
}

fn write_node(out: &mut String, node: &Node, depth: usize) {
    match node {
        Node::Text(t) => out.push_str(&escape(t)),
        Node::Element(e) => {
            let tag = match e.ns.is_empty() {
                true => e.name.clone(),
                false => format!("x{depth}:{}", e.name),
            };
            out.push('<');
            out.push_str(&tag);
            match e.ns.is_empty() {
                true => out.push_str(" xmlns=\"\""),
                false => out.push_str(&format!(" xmlns:x{depth}=\"{}\"", escape(&e.ns))),
            }
            for (i, (ns, name, value)) in e.attrs.iter().enumerate() {
                match ns.as_str() {
                    "" => out.push_str(&format!(" {name}=\"{}\"", escape(value))),
                    XML_NS => out.push_str(&format!(" xml:{name}=\"{}\"", escape(value))),
                    _ => out.push_str(&format!(
                        " xmlns:a{depth}_{i}=\"{}\" a{depth}_{i}:{name}=\"{}\"",
                        escape(ns),
                        escape(value)
                    )),
                }
            }
            out.push('>');
            for child in &e.children {
                write_node(out, child, depth + 1);
            }
            out.push_str(&format!("</{tag}>"));
        }
    }
}

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Escapes text for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Parses a whole body into its root element (None: the body is empty or only whitespace).
pub fn parse(body: &[u8]) -> Result<Option<Element>, XmlError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let mut reader = NsReader::from_reader(body);
    reader.config_mut().expand_empty_elements = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let mut nodes = 0usize;
    loop {
        let (resolved, event) = reader.read_resolved_event().map_err(bad)?;
        match event {
            Event::Start(start) => {
                nodes += 1;
                if stack.len() >= MAX_DEPTH || nodes > MAX_NODES || root.is_some() {
                    return Err(XmlError(
                        "the XML body is too deep, too large or has two roots".into(),
                    ));
                }
                let ns = namespace(resolved)?;
                let name = utf8(start.local_name().as_ref())?;
                let mut attrs = Vec::new();
                for attr in start.attributes() {
                    let attr = attr.map_err(bad)?;
                    let key = attr.key.as_ref();
                    let value = attr.unescape_value().map_err(bad)?.into_owned();
                    if key.starts_with(b"xmlns") {
                        if key.starts_with(b"xmlns:") && value.is_empty() {
                            return Err(bad("a prefix cannot be bound to the empty namespace"));
                        }
                        continue;
                    }
                    let (attr_ns, local) = reader.resolve_attribute(attr.key);
                    attrs.push((namespace(attr_ns)?, utf8(local.as_ref())?, value));
                }
                stack.push(Element {
                    ns,
                    name,
                    attrs,
                    children: Vec::new(),
                });
            }
            Event::End(_) => {
                let done = stack.pop().ok_or_else(|| bad("an unmatched end tag"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(done)),
                    None => root = Some(done),
                }
            }
            Event::Text(text) => {
                let text = text.unescape().map_err(bad)?;
                push_text(&mut stack, &text, &mut nodes)?;
            }
            Event::CData(data) => {
                let text = utf8(&data)?;
                push_text(&mut stack, &text, &mut nodes)?;
            }
            Event::DocType(_) => return Err(XmlError("a DOCTYPE is not accepted".into())),
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::Empty(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(bad("the body ends inside an element"));
    }
    root.map(Some).ok_or_else(|| bad("no root element"))
}

fn push_text(stack: &mut [Element], text: &str, nodes: &mut usize) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(parent) => {
            *nodes += 1;
            if *nodes > MAX_NODES {
                return Err(XmlError("the XML body is too large".into()));
            }
            parent.children.push(Node::Text(text.to_owned()));
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(bad("text outside the root element")),
    }
}

fn namespace(resolved: ResolveResult) -> Result<String, XmlError> {
    match resolved {
        ResolveResult::Bound(ns) => utf8(ns.as_ref()),
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Unknown(prefix) => Err(bad(format!(
            "the prefix {:?} is not declared",
            String::from_utf8_lossy(&prefix)
        ))),
    }
}

fn utf8(bytes: &[u8]) -> Result<String, XmlError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| bad("not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_namespaces_and_reserialises_self_contained() {
        let body = br#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://z/">
            <D:set><D:prop><Z:p>a &amp; <b xmlns="http://b/">x</b></Z:p></D:prop></D:set></D:propertyupdate>"#;
        let root = parse(body).unwrap().unwrap();
        assert!(root.is(DAV, "propertyupdate"));
        let p = root
            .child(DAV, "set")
            .unwrap()
            .child(DAV, "prop")
            .unwrap()
            .elements()
            .next()
            .unwrap();
        assert!(p.is("http://z/", "p"));
        assert_eq!(
            p.inner_xml(),
            r#"a &amp; <x0:b xmlns:x0="http://b/">x</x0:b>"#
        );
    }

    #[test]
    fn refuses_doctype_unknown_prefixes_empty_bindings_and_depth() {
        let bomb = br#"<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">]><l>&a;</l>"#;
        assert!(parse(bomb).is_err());
        assert!(parse(b"<D:propfind xmlns:D='DAV:'><x:y/></D:propfind>").is_err());
        assert!(
            parse(b"<propfind xmlns='DAV:'><prop><bar:foo xmlns:bar=''/></prop></propfind>")
                .is_err()
        );
        let deep = format!("{}{}", "<a>".repeat(40), "</a>".repeat(40));
        assert!(parse(deep.as_bytes()).is_err());
        assert!(parse(b"<a>&unknown;</a>").is_err());
        assert!(parse(b"<a><b></a>").is_err());
        assert!(parse(b"  \n").unwrap().is_none());
    }
}

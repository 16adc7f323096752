//! Unit tests of the multipart parser.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use tokio::io::AsyncReadExt;

use super::testing::{parse_form, FormPart, Frames};
use super::*;

const B: &str = "xyz";

fn part(name: &str, file_name: Option<&str>, data: &[u8]) -> FormPart {
    FormPart {
        name: Some(name.into()),
        file_name: file_name.map(str::to_owned),
        data: data.to_vec(),
    }
}

fn whole(body: &[u8]) -> Result<Vec<FormPart>, MultipartError> {
    parse_form(vec![Bytes::copy_from_slice(body)], B, false)
}

/// Parsed whole, in 1-byte frames, and cut in two and in three at every offset: all
/// the same.
fn same_however_cut(body: &[u8]) -> Result<Vec<FormPart>, MultipartError> {
    let expected = whole(body);
    let body = Bytes::copy_from_slice(body);
    let bytes: Vec<Bytes> = (0..body.len()).map(|i| body.slice(i..i + 1)).collect();
    assert_eq!(parse_form(bytes, B, true), expected, "1-byte frames");
    for i in 0..=body.len() {
        for j in i..=body.len() {
            let frames = vec![body.slice(..i), body.slice(i..j), body.slice(j..)];
            let small = (i + j) % 2 == 0;
            assert_eq!(parse_form(frames, B, small), expected, "cut at {i}, {j}");
        }
    }
    expected
}

const FORM: &[u8] = b"preamble, ignored\r\n--xyz  \t\r\n\
    Content-Disposition: form-data; name=\"parent_id\"\r\n\r\n\
    42\r\n--xyz\r\n\
    content-DISPOSITION: form-data; NAME=\"file\"; filename=\"a.txt\"\r\n\
    Content-Type: text/plain\r\n\r\n\
    one\r\n--xy\r\nxyz\r\r\n-\r\n\r\n--xyz\r\n\
    Content-Disposition: form-data; name=file; filename=\"empty\"\r\n\r\n\
    \r\n--xyz--  \r\nepilogue\r\n--xyz\r\nignored too";

#[test]
fn a_form_gives_the_same_parts_however_its_frames_are_cut() {
    let parts = same_however_cut(FORM).unwrap();
    let content = b"one\r\n--xy\r\nxyz\r\r\n-\r\n";
    assert_eq!(
        parts,
        [
            part("parent_id", None, b"42"),
            part("file", Some("a.txt"), content),
            part("file", Some("empty"), b""),
        ]
    );
}

#[test]
fn the_first_boundary_may_follow_a_line_break_or_open_the_body() {
    let body = b"\r\n--xyz\r\nContent-Disposition: form-data; name=a\r\n\r\nA\r\n--xyz--";
    assert_eq!(same_however_cut(body).unwrap(), [part("a", None, b"A")]);
    // Without a line break before it, a boundary inside the preamble is no boundary.
    let body = b"x--xyz\r\n\r\nno\r\n--xyz\r\n\r\nyes\r\n--xyz--";
    let parts = same_however_cut(body).unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].data, b"yes");
}

#[test]
fn a_delimiter_split_across_frames_still_ends_the_part() {
    let body = b"--xyz\r\n\r\nabc\r\n--xyz--";
    let frames = [&body[..12], &body[12..15], &body[15..17], &body[17..]];
    let frames = frames.map(Bytes::copy_from_slice).to_vec();
    let parts = parse_form(frames, B, false).unwrap();
    assert_eq!(parts[0].data, b"abc");
}

#[test]
fn near_misses_of_the_delimiter_are_content() {
    let content: &[u8] = b"\r\n--xy\r\n-xyz\r\nxyz--xyz\r\r\n--x\r\n--XYZ\r";
    let mut body = b"--xyz\r\nContent-Disposition: form-data; name=f\r\n\r\n".to_vec();
    body.extend_from_slice(content);
    body.extend_from_slice(b"\r\n--xyz--");
    assert_eq!(same_however_cut(&body).unwrap()[0].data, content);
}

#[test]
fn content_comes_out_as_slices_of_the_frames() {
    let frame = Bytes::from(
        b"--xyz\r\nContent-Disposition: form-data; name=f\r\n\r\nhello world\r\n--x".to_vec(),
    );
    let start = frame.len() - b"hello world\r\n--x".len();
    let frames = [frame.clone(), Bytes::from_static(b"yz--")];
    let mut form = Multipart::new(Source::new(Frames::new(frames, None)), B).unwrap();
    let chunk = futures_lite(async {
        let mut field = form.next_field().await.unwrap().unwrap();
        let chunk = field.chunk().await.unwrap().unwrap();
        assert_eq!(field.chunk().await.unwrap(), None);
        chunk
    });
    assert_eq!(chunk, "hello world");
    assert_eq!(chunk.as_ptr() as usize, frame.as_ptr() as usize + start);
}

#[test]
fn headers_of_8_kib_pass_and_one_byte_more_fails() {
    let head = |pad: usize| {
        let fields = format!(
            "\r\nContent-Disposition: form-data; name=a\r\nX-Pad: {}\r\n\r\n",
            "p".repeat(pad)
        );
        format!("--xyz{fields}A\r\n--xyz--").into_bytes()
    };
    let fixed = head(0).len() - b"--xyz".len() - b"A\r\n--xyz--".len();
    let exact = head(MAX_HEAD - fixed);
    assert_eq!(whole(&exact).unwrap(), [part("a", None, b"A")]);
    assert_eq!(
        whole(&head(MAX_HEAD - fixed + 1)),
        Err(MultipartError::HeadTooLarge)
    );
    let frames = exact.chunks(1000).map(Bytes::copy_from_slice).collect();
    assert_eq!(parse_form(frames, B, true).unwrap().len(), 1);
}

#[tokio::test]
async fn a_body_that_ends_inside_a_part_fails_its_reader_instead_of_ending() {
    let body = b"--xyz\r\nContent-Disposition: form-data; name=f\r\n\r\nhello\r\n--x";
    let frames = [Bytes::copy_from_slice(body)];
    let mut form = Multipart::new(Source::new(Frames::new(frames, None)), B).unwrap();
    let mut field = form.next_field().await.unwrap().unwrap();
    let mut data = Vec::new();
    let error = field.read_to_end(&mut data).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(data, b"hello");
    assert_eq!(
        form.next_field().await.err(),
        Some(MultipartError::Incomplete)
    );
    for cut in [&body[..0], &body[..3], &body[..7], &body[..20]] {
        assert_eq!(whole(cut), Err(MultipartError::Incomplete), "{cut:?}");
    }
    let unclosed = b"--xyz\r\n\r\nA\r\n--xyz";
    assert_eq!(whole(unclosed), Err(MultipartError::Incomplete));
}

#[tokio::test]
async fn a_body_that_breaks_off_fails_the_reader() {
    let body = b"--xyz\r\nContent-Disposition: form-data; name=f\r\n\r\nhello";
    let broken = io::Error::new(io::ErrorKind::ConnectionReset, "reset");
    let frames = Frames::new([Bytes::copy_from_slice(body)], Some(broken));
    let mut form = Multipart::new(Source::new(frames), B).unwrap();
    let mut field = form.next_field().await.unwrap().unwrap();
    let mut data = Vec::new();
    let error = field.read_to_end(&mut data).await.unwrap_err();
    assert_eq!(error.to_string(), "the request body broke off: reset");
    assert_eq!(data, b"hello");
}

#[tokio::test]
async fn an_unread_field_is_skipped() {
    let body = b"--xyz\r\nContent-Disposition: form-data; name=file; filename=one\r\n\r\n\
        first file\r\n--xyz\r\nContent-Disposition: form-data; name=file; filename=two\r\n\r\n\
        second\r\n--xyz\r\nContent-Disposition: form-data; name=third\r\n\r\n3\r\n--xyz--";
    let frames = body.chunks(5).map(Bytes::copy_from_slice);
    let mut form = Multipart::new(Source::new(Frames::new(frames, None)), B).unwrap();
    let first = form.next_field().await.unwrap().unwrap();
    assert_eq!(first.file_name(), Some("one"));
    let mut second = form.next_field().await.unwrap().unwrap();
    assert_eq!(
        (second.name(), second.file_name()),
        (Some("file"), Some("two"))
    );
    let mut start = [0; 3];
    second.read_exact(&mut start).await.unwrap();
    assert_eq!(&start, b"sec");
    let mut third = form.next_field().await.unwrap().unwrap();
    let mut text = String::new();
    third.read_to_string(&mut text).await.unwrap();
    assert_eq!((third.name(), text.as_str()), (Some("third"), "3"));
    assert!(form.next_field().await.unwrap().is_none());
    assert!(form.next_field().await.unwrap().is_none());
}

fn disposition(value: &str) -> Result<Vec<FormPart>, MultipartError> {
    let body = format!("--xyz\r\nContent-Disposition: {value}\r\n\r\nx\r\n--xyz--");
    whole(body.as_bytes())
}

#[test]
fn disposition_parameters_are_read_as_browsers_and_rfcs_send_them() {
    let named = |value: &str| {
        let parts = disposition(value).unwrap();
        (parts[0].name.clone(), parts[0].file_name.clone())
    };
    let pair = |name: &str, file: &str| (Some(name.to_owned()), Some(file.to_owned()));
    let utf8 = "form-data; name=\"f\"; filename=\"fallback\"; \
        filename*=UTF-8''na%C3%AFve%20%E2%82%AC.txt";
    assert_eq!(named(utf8), pair("f", "naïve €.txt"));
    let latin = "form-data;name=f;FILENAME*=iso-8859-1'fr'caf%E9;filename=x";
    assert_eq!(named(latin), pair("f", "café"));
    let broken = "form-data; name=f; filename*=UTF-8''%FF%; filename=\"plain.txt\"";
    assert_eq!(named(broken), pair("f", "plain.txt"));
    let quoted = r#"form-data; name="a\"b;c"; filename="..\x\"y.txt""#;
    assert_eq!(named(quoted), pair("a\"b;c", "..\\x\"y.txt"));
    assert_eq!(named("form-data ; name = f ;; "), (Some("f".into()), None));
    assert_eq!(
        named("form-data; filename=\"é.txt\""),
        (None, Some("é.txt".into()))
    );
    for bad in [
        "form-data; name=\"f",
        "form-data; name",
        "form-data; a b=c",
        "x; =y",
    ] {
        assert_eq!(disposition(bad), Err(MultipartError::BadHeaders), "{bad}");
    }
}

#[test]
fn malformed_boundary_lines_and_headers_are_errors() {
    let cases: [(&[u8], MultipartError); 6] = [
        (
            b"--xyzjunk\r\n\r\nA\r\n--xyz--",
            MultipartError::BadBoundaryLine,
        ),
        (
            b"--xyz \r \n\r\nA\r\n--xyz--",
            MultipartError::BadBoundaryLine,
        ),
        (
            b"--xyz\r\nNo colon\r\n\r\nA\r\n--xyz--",
            MultipartError::BadHeaders,
        ),
        (
            b"--xyz\r\n Folded: x\r\n\r\nA\r\n--xyz--",
            MultipartError::BadHeaders,
        ),
        (
            b"--xyz\r\nX: a\0b\r\n\r\nA\r\n--xyz--",
            MultipartError::BadHeaders,
        ),
        (
            b"--xyz\r\nX: a\nb\r\n\r\nA\r\n--xyz--",
            MultipartError::BadHeaders,
        ),
    ];
    for (body, error) in cases {
        assert_eq!(same_however_cut(body), Err(error), "{body:?}");
    }
    // A part without headers is legal; a tab and UTF-8 in a value are too.
    let body = "--xyz\r\n\r\nA\r\n--xyz\r\nX: \té\r\n\r\nB\r\n--xyz--".as_bytes();
    assert_eq!(same_however_cut(body).unwrap().len(), 2);
}

#[test]
fn a_thousand_parts_pass_and_one_more_fails() {
    let form = |n: usize| {
        let mut body = "--xyz\r\n\r\n\r\n".repeat(n).into_bytes();
        body.extend_from_slice(b"--xyz--");
        body
    };
    assert_eq!(whole(&form(MAX_PARTS)).unwrap().len(), MAX_PARTS);
    assert_eq!(
        whole(&form(MAX_PARTS + 1)),
        Err(MultipartError::TooManyParts)
    );
}

#[test]
fn the_boundary_comes_from_the_content_type() {
    let ok = |ct: &str, b: &str| assert_eq!(boundary(ct).as_deref(), Ok(b), "{ct}");
    ok("multipart/form-data; boundary=abc", "abc");
    ok(
        "multipart/form-data;charset=utf-8;BOUNDARY=\"a b:c\"",
        "a b:c",
    );
    ok(
        "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxk",
        "----WebKitFormBoundary7MA4YWxk",
    );
    let seventy = "b".repeat(70);
    ok(
        &format!("multipart/form-data; boundary={seventy}"),
        &seventy,
    );
    let err = |ct: &str, e| assert_eq!(boundary(ct), Err(e), "{ct}");
    err("multipart/form-data", MultipartError::NoBoundary);
    err("multipart/form-data; charset=x", MultipartError::NoBoundary);
    err(
        &format!("multipart/form-data; boundary=b{seventy}"),
        MultipartError::InvalidBoundary,
    );
    err(
        "multipart/form-data; boundary=",
        MultipartError::InvalidBoundary,
    );
    err(
        "multipart/form-data; boundary=\"a\r\nb\"",
        MultipartError::InvalidBoundary,
    );
    err(
        "multipart/form-data; boundary=\"ends \"",
        MultipartError::InvalidBoundary,
    );
    err(
        "multipart/form-data; boundary=\"open",
        MultipartError::InvalidBoundary,
    );
}

/// Runs a future whose every frame is ready, without a runtime.
fn futures_lite<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = std::task::Waker::noop();
    match future.as_mut().poll(&mut Context::from_waker(waker)) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("pending"),
    }
}

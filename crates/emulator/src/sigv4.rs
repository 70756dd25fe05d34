//! AWS Signature Version 4 verification for header-signed requests.
//!
//! The emulator recomputes the signature the way AWS does. It rebuilds the canonical
//! request from the method, path, query, the headers the client listed in
//! `SignedHeaders` and the payload hash. Then it derives the signing key from the secret
//! key and the credential scope, and compares. The steps follow AWS's "Create a signed AWS API
//! request" guide for SigV4 (IAM user guide). Pre-signed URLs (query-string
//! authentication) are not supported.

use axum::http::{self, HeaderMap};
use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Largest difference between the request's `X-Amz-Date` and the server clock that AWS
/// accepts, in seconds (15 minutes).
const MAX_CLOCK_SKEW_SECONDS: i64 = 15 * 60;

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Authorization {
    pub access_key_id: String,
    pub scope_date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Failure to check a request's signature, or a signature that does not match.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum SigV4Error {
    #[error("request is missing the Authorization header")]
    MissingAuthorization,

    #[error("authorization header is malformed: {0}")]
    Malformed(String),

    #[error(
        "signature expired: request time {request_time} is more than 15 minutes from \
         server time {server_time}"
    )]
    Expired {
        request_time: String,
        server_time: String,
    },

    #[error(
        "the request signature we calculated does not match the signature you provided; \
         check your AWS secret access key and signing method"
    )]
    Mismatch,
}

/// The request data that SigV4 covers.
pub(crate) struct SignedRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Parses the `Authorization` header of a request.
pub(crate) fn parse_authorization(headers: &HeaderMap) -> Result<Authorization, SigV4Error> {
    let header = headers
        .get(http::header::AUTHORIZATION)
        .ok_or(SigV4Error::MissingAuthorization)?
        .to_str()
        .map_err(|_| SigV4Error::Malformed("header is not ASCII".into()))?;

    let rest = header
        .strip_prefix(ALGORITHM)
        .ok_or_else(|| SigV4Error::Malformed(format!("algorithm must be {ALGORITHM}")))?;

    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (name, value) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| SigV4Error::Malformed(format!("component {part:?} has no '='")))?;
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let missing = |name: &str| SigV4Error::Malformed(format!("{name} is missing"));
    let credential = credential.ok_or_else(|| missing("Credential"))?;
    let signed_headers = signed_headers.ok_or_else(|| missing("SignedHeaders"))?;
    let signature = signature.ok_or_else(|| missing("Signature"))?;

    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, scope_date, region, service, terminator] = scope[..] else {
        return Err(SigV4Error::Malformed(
            "Credential must be AKID/date/region/service/aws4_request".into(),
        ));
    };
    if terminator != "aws4_request" {
        return Err(SigV4Error::Malformed(
            "credential scope must end with aws4_request".into(),
        ));
    }

    Ok(Authorization {
        access_key_id: access_key_id.to_string(),
        scope_date: scope_date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        signed_headers: signed_headers
            .split(';')
            .map(str::to_ascii_lowercase)
            .collect(),
        signature: signature.to_ascii_lowercase(),
    })
}

/// Checks the request's signature with `secret_access_key`, and its date against `now`.
pub(crate) fn verify(
    authorization: &Authorization,
    request: &SignedRequest<'_>,
    secret_access_key: &str,
    now: DateTime<Utc>,
) -> Result<(), SigV4Error> {
    let amz_date = header_text(request.headers, "x-amz-date")
        .ok_or_else(|| SigV4Error::Malformed("X-Amz-Date header is missing".into()))?;
    let request_time = NaiveDateTime::parse_from_str(&amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| SigV4Error::Malformed(format!("X-Amz-Date {amz_date:?} is invalid")))?
        .and_utc();
    if (now - request_time).num_seconds().abs() > MAX_CLOCK_SKEW_SECONDS {
        return Err(SigV4Error::Expired {
            request_time: amz_date,
            server_time: now.format("%Y%m%dT%H%M%SZ").to_string(),
        });
    }
    if !amz_date.starts_with(&authorization.scope_date) {
        return Err(SigV4Error::Malformed(
            "credential scope date does not match X-Amz-Date".into(),
        ));
    }
    if !authorization.signed_headers.iter().any(|h| h == "host") {
        return Err(SigV4Error::Malformed(
            "SignedHeaders must include host".into(),
        ));
    }

    let canonical = canonical_request(request, &authorization.signed_headers);
    let scope = format!(
        "{}/{}/{}/aws4_request",
        authorization.scope_date, authorization.region, authorization.service
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );

    let mut key = hmac(
        format!("AWS4{secret_access_key}").as_bytes(),
        &authorization.scope_date,
    );
    for part in [
        &authorization.region,
        &authorization.service,
        "aws4_request",
    ] {
        key = hmac(&key, part);
    }
    let expected = hex::encode(hmac(&key, &string_to_sign));

    if expected
        .as_bytes()
        .ct_eq(authorization.signature.as_bytes())
        .into()
    {
        Ok(())
    } else {
        tracing::debug!(canonical_request = %canonical, "sigv4 signature mismatch");
        Err(SigV4Error::Mismatch)
    }
}

/// Builds the SigV4 canonical request.
fn canonical_request(request: &SignedRequest<'_>, signed_headers: &[String]) -> String {
    let headers: String = signed_headers
        .iter()
        .map(|name| {
            let value = header_text(request.headers, name).unwrap_or_default();
            format!("{name}:{value}\n")
        })
        .collect();

    // Clients that send the payload hash sign that value; "UNSIGNED-PAYLOAD" is used
    // as-is. Otherwise the hash of the body received is used.
    let payload_hash = match header_text(request.headers, "x-amz-content-sha256") {
        Some(value) if value == "UNSIGNED-PAYLOAD" => value,
        _ => hex::encode(Sha256::digest(request.body)),
    };

    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        request.method,
        canonical_uri(request.path),
        canonical_query(request.query.unwrap_or("")),
        headers,
        signed_headers.join(";"),
        payload_hash
    )
}

/// Joins all values of a header with commas, trimmed and with inner runs of spaces
/// collapsed, as SigV4 canonical headers require.
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|value| {
            let text = String::from_utf8_lossy(value.as_bytes());
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// Encodes each path segment again, as SigV4 does for every service but S3.
fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    path.split('/')
        .map(uri_encode)
        .collect::<Vec<_>>()
        .join("/")
}

/// Sorts the query parameters and encodes names and values with RFC 3986 rules.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| (uri_encode(&name), uri_encode(&value)))
        .collect();
    pairs.sort();
    pairs
        .into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes every byte except the RFC 3986 unreserved characters.
fn uri_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any size");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// Builds the GET ListUsers example from AWS's SigV4 documentation (IAM, us-east-1).
    fn documented_example() -> (HeaderMap, Authorization) {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("iam.amazonaws.com"));
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        headers.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
        headers.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, \
                 Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
            ),
        );
        let authorization = parse_authorization(&headers).expect("header parses");
        (headers, authorization)
    }

    fn example_time() -> DateTime<Utc> {
        "2015-08-30T12:36:00Z".parse().unwrap()
    }

    #[test]
    fn documented_signature_verifies() {
        let (headers, authorization) = documented_example();
        let request = SignedRequest {
            method: "GET",
            path: "/",
            query: Some("Action=ListUsers&Version=2010-05-08"),
            headers: &headers,
            body: b"",
        };
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

        assert_eq!(authorization.access_key_id, "AKIDEXAMPLE");
        assert_eq!(authorization.service, "iam");
        assert_eq!(
            verify(&authorization, &request, secret, example_time()),
            Ok(())
        );
    }

    #[test]
    fn wrong_secret_is_mismatch() {
        let (headers, authorization) = documented_example();
        let request = SignedRequest {
            method: "GET",
            path: "/",
            query: Some("Action=ListUsers&Version=2010-05-08"),
            headers: &headers,
            body: b"",
        };

        let result = verify(&authorization, &request, "not-the-secret", example_time());

        assert_eq!(result, Err(SigV4Error::Mismatch));
    }

    #[test]
    fn changed_query_is_mismatch() {
        let (headers, authorization) = documented_example();
        let request = SignedRequest {
            method: "GET",
            path: "/",
            query: Some("Action=ListRoles&Version=2010-05-08"),
            headers: &headers,
            body: b"",
        };
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

        let result = verify(&authorization, &request, secret, example_time());

        assert_eq!(result, Err(SigV4Error::Mismatch));
    }

    #[test]
    fn old_request_is_expired() {
        let (headers, authorization) = documented_example();
        let request = SignedRequest {
            method: "GET",
            path: "/",
            query: Some("Action=ListUsers&Version=2010-05-08"),
            headers: &headers,
            body: b"",
        };
        let later = example_time() + chrono::Duration::minutes(16);

        let result = verify(&authorization, &request, "x", later);

        assert!(matches!(result, Err(SigV4Error::Expired { .. })));
    }

    #[test]
    fn malformed_credential_scope_is_rejected() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1, SignedHeaders=host, \
                 Signature=00",
            ),
        );

        let result = parse_authorization(&headers);

        assert!(matches!(result, Err(SigV4Error::Malformed(_))));
    }
}

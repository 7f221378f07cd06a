//! The error vocabulary of the API (`docs/api-errors.md`): each code's wire
//! string, HTTP status and title from one table, and the problem document
//! (RFC 9457) every error response carries. No HTTP framework here (a
//! status is a plain `u16`), so clients read errors with the same types the
//! server writes them with. Because code names a variant, never a string, a
//! misspelt code does not compile.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares [`ErrorCode`] from one table, so that a code's variant, wire
/// string, status and title cannot drift apart and [`ErrorCode::ALL`] lists
/// every variant.
macro_rules! error_codes {
    ($($variant:ident => $code:literal, $status:literal, $title:literal;)*) => {
        /// Every error code the API answers with; serialised as its snake_case string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $(#[doc = $title] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order `docs/api-errors.md` lists them.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as clients see it in a problem document's `code`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The HTTP status an error with this code is answered with.
            pub const fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)*
                }
            }

            /// The problem document's `title`: a short sentence for people.
            pub const fn title(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $title,)*
                }
            }
        }
    };
}

error_codes! {
    MalformedRequest => "malformed_request", 400, "The request could not be read";
    InvalidParameter => "invalid_parameter", 400, "A path or query parameter is invalid";
    Unauthenticated => "unauthenticated", 401, "Sign in first";
    InvalidCredentials => "invalid_credentials", 401, "Wrong email or password";
    Forbidden => "forbidden", 403, "Your role may not do this";
    CsrfFailed => "csrf_failed", 403, "Missing or wrong CSRF token";
    NotFound => "not_found", 404, "Not found";
    MethodNotAllowed => "method_not_allowed", 405, "Method not allowed here";
    Conflict => "conflict", 409, "The log moved on since you read it";
    EmailTaken => "email_taken", 409, "Email already registered";
    AlreadySeated => "already_seated", 409, "You already hold a seat in this negotiation";
    SeatTaken => "seat_taken", 409, "Another account already holds this seat, or a newer invitation replaced this one";
    WrongPhase => "wrong_phase", 409, "Not allowed in this phase of the timetable";
    TextChanged => "text_changed", 409, "The text you answered changed since you read it";
    InvitationUnusable => "invitation_unusable", 410, "The invitation can no longer be used";
    PayloadTooLarge => "payload_too_large", 413, "The body is too large";
    UnsupportedMediaType => "unsupported_media_type", 415, "Send JSON";
    ValidationFailed => "validation_failed", 422, "Some fields are invalid";
    AnalysisUnavailable => "analysis_unavailable", 422, "The analysis cannot be run on this negotiation";
    PreconditionRequired => "precondition_required", 428, "Say which log position you based the write on";
    RateLimited => "rate_limited", 429, "Too many attempts";
    QuotaExceeded => "quota_exceeded", 429, "Your account has reached its quota";
    Internal => "internal", 500, "Internal error";
    Busy => "busy", 503, "The server is busy; try again shortly";
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field-level problem: where (RFC 6901 JSON pointer into the request body) and what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    pub pointer: String,
    pub message: String,
}

/// The problem document (RFC 9457) every error response carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub code: String,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn serde_writes_and_reads_the_wire_string() {
        for &code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
        assert!(serde_json::from_str::<ErrorCode>("\"not_a_code\"").is_err());
    }

    #[test]
    fn every_code_is_listed_once_with_an_error_status() {
        for (i, code) in ErrorCode::ALL.iter().enumerate() {
            assert!((400..600).contains(&code.status()), "{code}: {}", code.status());
            assert!(!code.title().is_empty(), "{code} has no title");
            assert!(!ErrorCode::ALL[..i].contains(code), "{code} is listed twice");
        }
    }

    #[test]
    fn only_internal_and_busy_are_server_errors() {
        // `internal` is a bug; `busy` (503 with Retry-After) asks the client to come back.
        let server_errors: Vec<ErrorCode> = ErrorCode::ALL.iter().copied().filter(|c| c.status() >= 500).collect();
        assert_eq!(server_errors, vec![ErrorCode::Internal, ErrorCode::Busy]);
    }
}

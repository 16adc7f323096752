//! JWT signing and verification (HS256 only), and random opaque secrets.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::AuthError;
use crate::ids::UserId;
use crate::secret::ServerSecret;

pub const ISSUER: &str = "hoard";
/// Prefix of personal API tokens, so they are recognisable (and scannable) in the wild.
pub const API_TOKEN_PREFIX: &str = "hoard_pat_";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
}

/// The claims of both token types; `sid` ties a token to its session (refresh family).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub typ: TokenType,
    pub iss: String,
    pub sid: i64,
}

impl Claims {
    pub fn user_id(&self) -> Result<UserId, AuthError> {
        self.sub
            .parse::<i64>()
            .map(UserId)
            .map_err(|_| AuthError::InvalidToken)
    }
}

/// Seconds of clock skew allowed on `exp`.
const LEEWAY_S: u64 = 5;

/// Signs and verifies tokens with the instance's secret.
pub struct TokenCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Tokens that verified, by their exact text: a repeat costs one lookup instead of an
    /// HMAC, a base64 decode and a JSON parse (a fifth of a small download's CPU). Expiry
    /// and type are still checked on every use; revocation is the caller's check, as ever.
    verified: moka::sync::Cache<Box<str>, Claims>,
}

impl TokenCodec {
    pub fn new(secret: &ServerSecret) -> Self {
        // Only HS256 is accepted: a token naming any other algorithm (or `none`) fails.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss"]);
        validation.leeway = LEEWAY_S;
        Self {
            encoding: EncodingKey::from_secret(secret.expose()),
            decoding: DecodingKey::from_secret(secret.expose()),
            validation,
            verified: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(std::time::Duration::from_secs(900))
                .build(),
        }
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, AuthError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| AuthError::Internal(format!("jwt encode: {e}")))
    }

    /// Verifies the signature, issuer and expiry, and that the token is of type `expected`.
    pub fn verify(&self, token: &str, expected: TokenType) -> Result<Claims, AuthError> {
        let claims = match self.verified.get(token) {
            // The same expiry rule as jsonwebtoken's: expired once `exp + leeway` is past.
            Some(claims) if claims.exp + (LEEWAY_S as i64) < crate::db::now() => {
                return Err(AuthError::TokenExpired)
            }
            Some(claims) => claims,
            None => {
                let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
                    .map_err(|e| match e.kind() {
                        ErrorKind::ExpiredSignature => AuthError::TokenExpired,
                        _ => AuthError::InvalidToken,
                    })?;
                self.verified.insert(token.into(), data.claims.clone());
                data.claims
            }
        };
        if claims.typ != expected {
            return Err(AuthError::InvalidToken);
        }
        Ok(claims)
    }
}

/// A 128-bit random token id.
pub fn new_jti() -> String {
    crate::secret::random_secret(16)
}

/// A web session's double-submit CSRF token: 256 random bits, set as the readable
/// `hoard_csrf` cookie and echoed by the UI in `X-CSRF-Token`.
pub fn new_csrf_token() -> String {
    crate::secret::random_secret(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(typ: TokenType, exp_offset: i64) -> Claims {
        let now = chrono::Utc::now().timestamp();
        Claims {
            sub: "7".into(),
            jti: new_jti(),
            iat: now,
            exp: now + exp_offset,
            typ,
            iss: ISSUER.into(),
            sid: 3,
        }
    }

    #[test]
    fn a_signed_token_verifies_with_its_type_only() {
        let codec = TokenCodec::new(&ServerSecret::new(*b"0123456789abcdef0123456789abcdef"));
        let token = codec.sign(&claims(TokenType::Access, 60)).unwrap();
        assert_eq!(codec.verify(&token, TokenType::Access).unwrap().sub, "7");
        assert!(matches!(
            codec.verify(&token, TokenType::Refresh),
            Err(AuthError::InvalidToken)
        ));
    }

    #[test]
    fn expired_and_foreign_tokens_are_rejected() {
        let codec = TokenCodec::new(&ServerSecret::new(*b"0123456789abcdef0123456789abcdef"));
        let other = TokenCodec::new(&ServerSecret::new(*b"fedcba9876543210fedcba9876543210"));
        let expired = codec.sign(&claims(TokenType::Access, -120)).unwrap();
        assert!(matches!(
            codec.verify(&expired, TokenType::Access),
            Err(AuthError::TokenExpired)
        ));
        let foreign = other.sign(&claims(TokenType::Access, 60)).unwrap();
        assert!(matches!(
            codec.verify(&foreign, TokenType::Access),
            Err(AuthError::InvalidToken)
        ));
    }
}

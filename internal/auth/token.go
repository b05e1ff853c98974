package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"egovpm/internal/apperr"
)

// TokenIssuer is the iss claim of every token.
const TokenIssuer = "egovpm"

// claims are a token's: the registered ones and the user's session version when it was signed
// (sv, omitted for 0): a token of an earlier version is refused (store.User.SessionVersion).
type claims struct {
	jwt.RegisteredClaims
	SessionVersion int `json:"sv,omitempty"`
}

type issued struct {
	signed    string
	id        string
	expiresAt time.Time
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

// issue signs a token for userID at their session version sv, valid from now for the TTL.
func (s *Service) issue(userID string, sv int, now time.Time) (issued, error) {
	// JWT times have second precision; the reply's expires_at is the claim itself.
	iat := now.Truncate(time.Second)
	exp := iat.Add(s.opts.TTL)
	id := randomID()
	c := claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    TokenIssuer,
		Subject:   userID,
		ID:        id,
		IssuedAt:  jwt.NewNumericDate(iat),
		ExpiresAt: jwt.NewNumericDate(exp),
	}, SessionVersion: sv}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(s.opts.Secret))
	if err != nil {
		return issued{}, fmt.Errorf("sign token: %w", err)
	}
	return issued{signed: signed, id: id, expiresAt: exp}, nil
}

func (s *Service) parser() *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(TokenIssuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(s.now),
	)
}

func (s *Service) keyFunc(*jwt.Token) (any, error) {
	if len(s.opts.Secret) == 0 {
		return nil, errors.New("no token secret configured")
	}
	return []byte(s.opts.Secret), nil
}

// parse verifies a token and its claims.
func (s *Service) parse(token string) (*claims, error) {
	if token == "" || len(token) > maxTokenBytes {
		return nil, errUnauthenticated()
	}
	var c claims
	_, err := s.parser().ParseWithClaims(token, &c, s.keyFunc)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, apperr.Unauthorized(CodeTokenExpired, "登录已过期，请重新登录")
	case err != nil:
		return nil, errUnauthenticated()
	case c.ID == "" || c.Subject == "" || len(c.ID) > 128:
		return nil, errUnauthenticated()
	}
	return &c, nil
}

// parseAllowExpired verifies a token's signature and claims but accepts an expired one.
func (s *Service) parseAllowExpired(token string) (*claims, error) {
	c, err := s.parse(token)
	if e, ok := apperr.As(err); ok && e.Code == CodeTokenExpired {
		var expired claims
		// The signature and every other claim were checked by parse: only exp failed.
		if _, _, perr := jwt.NewParser().ParseUnverified(token, &expired); perr != nil || expired.ExpiresAt == nil {
			return nil, errUnauthenticated()
		}
		return &expired, nil
	}
	return c, err
}

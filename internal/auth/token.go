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

// issue signs a token for userID valid from now for the TTL.
func (s *Service) issue(userID string, now time.Time) (issued, error) {
	// JWT times have second precision; the reply's expires_at is the claim itself.
	iat := now.Truncate(time.Second)
	exp := iat.Add(s.opts.TTL)
	id := randomID()
	claims := jwt.RegisteredClaims{
		Issuer:    TokenIssuer,
		Subject:   userID,
		ID:        id,
		IssuedAt:  jwt.NewNumericDate(iat),
		ExpiresAt: jwt.NewNumericDate(exp),
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(s.opts.Secret))
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
func (s *Service) parse(token string) (*jwt.RegisteredClaims, error) {
	if token == "" || len(token) > maxTokenBytes {
		return nil, errUnauthenticated()
	}
	var c jwt.RegisteredClaims
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
func (s *Service) parseAllowExpired(token string) (*jwt.RegisteredClaims, error) {
	c, err := s.parse(token)
	if e, ok := apperr.As(err); ok && e.Code == CodeTokenExpired {
		var claims jwt.RegisteredClaims
		// The signature and every other claim were checked by parse: only exp failed.
		if _, _, perr := jwt.NewParser().ParseUnverified(token, &claims); perr != nil || claims.ExpiresAt == nil {
			return nil, errUnauthenticated()
		}
		return &claims, nil
	}
	return c, err
}

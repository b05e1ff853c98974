package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"egovpm/internal/apperr"
)

// HashParams are the argon2id cost parameters. They are written into every hash (PHC string
// format), so a hash made with one set verifies under any other.
type HashParams struct {
	// Memory is in KiB.
	Memory  uint32
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultHashParams are the production parameters: 64 MiB, one pass, two lanes.
var DefaultHashParams = HashParams{Memory: 64 * 1024, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}

// LightHashParams are for tests and for the demo users, whose password is public anyway:
// cheap enough that a test suite can hash hundreds of passwords.
var LightHashParams = HashParams{Memory: 8 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Password length limits (in characters and bytes). The upper bound keeps hashing cheap to
// refuse; the lower one is the policy for new passwords.
const (
	MinPasswordChars = 10
	MaxPasswordBytes = 256
)

// Limits on decoded hashes, so that a corrupt or hostile row cannot make verification
// allocate gigabytes.
const (
	maxHashMemory  = 1 << 20 // 1 GiB in KiB
	maxHashTime    = 16
	maxHashKeyLen  = 128
	maxHashSaltLen = 64
)

// ErrBadHash is returned when a stored password hash cannot be parsed.
var ErrBadHash = errors.New("malformed argon2id password hash")

var b64 = base64.RawStdEncoding

// HashPassword hashes password with argon2id and returns the PHC string
// $argon2id$v=19$m=...,t=...,p=...$salt$hash.
func HashPassword(password string, p HashParams) (string, error) {
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		p = DefaultHashParams
	}
	if p.SaltLen == 0 {
		p.SaltLen = 16
	}
	if p.KeyLen == 0 {
		p.KeyLen = 32
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the PHC string encoded, comparing in
// constant time.
func VerifyPassword(encoded, password string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

func decodeHash(encoded string) (HashParams, []byte, []byte, error) {
	var p HashParams
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrBadHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported version %q", ErrBadHash, parts[2])
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return p, nil, nil, ErrBadHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, ErrBadHash
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return p, nil, nil, ErrBadHash
			}
			p.Threads = uint8(n)
		default:
			return p, nil, nil, ErrBadHash
		}
	}
	if p.Memory == 0 || p.Memory > maxHashMemory || p.Time == 0 || p.Time > maxHashTime || p.Threads == 0 {
		return p, nil, nil, fmt.Errorf("%w: parameters out of range", ErrBadHash)
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > maxHashSaltLen {
		return p, nil, nil, ErrBadHash
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > maxHashKeyLen {
		return p, nil, nil, ErrBadHash
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// CheckPasswordPolicy refuses a new password that is too short or too long, with a 400
// naming the field "password".
func CheckPasswordPolicy(password string) error {
	switch {
	case len(password) > MaxPasswordBytes:
		return apperr.Invalid(map[string]string{"password": fmt.Sprintf("密码不能超过 %d 字节", MaxPasswordBytes)})
	case utf8.RuneCountInString(password) < MinPasswordChars:
		return apperr.Invalid(map[string]string{"password": fmt.Sprintf("密码至少 %d 个字符", MinPasswordChars)})
	case strings.TrimSpace(password) != password:
		return apperr.Invalid(map[string]string{"password": "密码首尾不能有空白字符"})
	}
	classes := 0
	var lower, upper, digit, other bool
	for _, r := range password {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		default:
			other = true
		}
	}
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			classes++
		}
	}
	if classes < 3 {
		return apperr.Invalid(map[string]string{"password": "密码须包含大写字母、小写字母、数字、其他字符中的至少三类"})
	}
	return nil
}

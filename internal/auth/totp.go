package auth

import (
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"egovpm/internal/domain"
)

// TOTPIssuer is the issuer shown in authenticator apps.
const TOTPIssuer = "egovpm"

// totpPeriod and totpSkew are the usual authenticator settings: 30-second steps, one step of
// clock drift either way.
const (
	totpPeriod = 30
	totpSkew   = 1
)

// TOTPRequiredRoles must use a second factor in production mode.
var TOTPRequiredRoles = []domain.Role{domain.RoleAdmin, domain.RoleOps, domain.RoleNDRCApprover,
	domain.RoleCityGovApprover, domain.RoleDRBSupervisor}

// NeedsTOTP reports whether a user with roles must have TOTP enabled in production mode.
func NeedsTOTP(roles []string) bool {
	for _, r := range TOTPRequiredRoles {
		if domain.Contains(roles, r) {
			return true
		}
	}
	return false
}

// GenerateTOTP makes a new TOTP key for account (the username). Store key.Secret() and give
// key.URL() (otpauth://…) to the user's authenticator app.
func GenerateTOTP(account string) (*otp.Key, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: account, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("generate TOTP key: %w", err)
	}
	return key, nil
}

// checkTOTP returns the time step whose code matches passcode at t, trying the current step
// first and then one step either side. ok is false when none matches or the secret is bad.
func checkTOTP(secret, passcode string, t time.Time) (step int64, ok bool) {
	passcode = strings.TrimSpace(passcode)
	if len(passcode) != otp.DigitsSix.Length() {
		return 0, false
	}
	now := t.Unix() / totpPeriod
	opts := hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	for _, d := range []int64{0, -totpSkew, totpSkew} {
		s := now + d
		if s < 0 {
			continue
		}
		match, err := hotp.ValidateCustom(passcode, uint64(s), secret, opts)
		if err != nil {
			return 0, false
		}
		if match {
			return s, true
		}
	}
	return 0, false
}

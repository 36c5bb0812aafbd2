package models

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"gorm.io/gorm"
)

// Second factors. Today the one kind is TOTP (RFC 6238: 6 digits, 30 s, SHA-1,
// what every authenticator app speaks); the table's kind column leaves room
// for WebAuthn passkeys, which would add rows of their own kind and a
// verification path beside VerifySecondFactor.

// SecondFactorTOTP is the kind of an authenticator-app factor.
const SecondFactorTOTP = "totp"

// TOTPPeriod and TOTPSkew: a code is accepted in its own 30 s step and one
// step either side (clock drift); each step's code is accepted once.
const (
	TOTPPeriod = 30
	TOTPSkew   = 1
)

// RecoveryCodeCount is how many single-use recovery codes an enrolment gives.
const RecoveryCodeCount = 10

// Errors of second-factor checks, for handlers to word.
var (
	// ErrWrongCode is a code that is not the account's current one, nor an
	// unused recovery code.
	ErrWrongCode = errors.New("wrong code")
	// ErrCodeReused is a right code already accepted once in its window.
	ErrCodeReused = errors.New("code already used")
)

// SecondFactor is one of a user's second factors.
type SecondFactor struct {
	ID          string `gorm:"primaryKey"`
	UserID      string
	Kind        string
	SecretEnc   string // sealed by a SecretBox; never shown after enrolment
	LastStep    int64  // the time step of the last accepted code (replay guard)
	CreatedAt   time.Time
	ConfirmedAt *time.Time
	LastUsedAt  *time.Time
}

// RecoveryCode is one single-use recovery code, stored as its SHA-256.
type RecoveryCode struct {
	ID        string `gorm:"primaryKey"`
	UserID    string
	CodeHash  string
	CreatedAt time.Time
	UsedAt    *time.Time
}

// TwoFactorStatus is what the account page shows about a user's second factor.
type TwoFactorStatus struct {
	Enrolled          bool
	ConfirmedAt       *time.Time
	RecoveryCodesLeft int64
}

// TwoFactorStatusOf reports a user's second factor.
func TwoFactorStatusOf(ctx context.Context, db *gorm.DB, userID string) (TwoFactorStatus, error) {
	var st TwoFactorStatus
	f, err := confirmedTOTP(ctx, db, userID)
	if errors.Is(err, ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.Enrolled, st.ConfirmedAt = true, f.ConfirmedAt
	if err := db.WithContext(ctx).Model(&RecoveryCode{}).Where("user_id = ? AND used_at IS NULL", userID).Count(&st.RecoveryCodesLeft).Error; err != nil {
		return st, fmt.Errorf("models: recovery codes: %w", err)
	}
	return st, nil
}

// HasSecondFactor reports whether the user has a confirmed second factor, so
// signing in needs a code.
func HasSecondFactor(ctx context.Context, db *gorm.DB, userID string) (bool, error) {
	_, err := confirmedTOTP(ctx, db, userID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func confirmedTOTP(ctx context.Context, db *gorm.DB, userID string) (*SecondFactor, error) {
	var f SecondFactor
	err := db.WithContext(ctx).First(&f, "user_id = ? AND kind = ? AND confirmed_at IS NOT NULL", userID, SecondFactorTOTP).Error
	if err != nil {
		return nil, fmt.Errorf("models: second factor: %w", translate(err))
	}
	return &f, nil
}

// BeginTOTPEnrolment creates (or replaces) the user's unconfirmed TOTP secret
// and returns the key to show as a QR code and as text. A user who already has
// a confirmed one gets ErrConflict: they remove it first.
func BeginTOTPEnrolment(ctx context.Context, db *gorm.DB, box SecretBox, u *User, issuer string, now time.Time) (*otp.Key, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: u.Email, Period: TOTPPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("models: totp key: %w", err)
	}
	sealed, err := box.Seal(key.Secret())
	if err != nil {
		return nil, err
	}
	err = Transaction(ctx, db, func(tx *gorm.DB) error {
		var existing SecondFactor
		err := tx.First(&existing, "user_id = ? AND kind = ?", u.ID, SecondFactorTOTP).Error
		switch {
		case err == nil && existing.ConfirmedAt != nil:
			return ErrConflict
		case err == nil:
			if err := tx.Delete(&existing).Error; err != nil {
				return err
			}
		case !errors.Is(translate(err), ErrNotFound):
			return err
		}
		return tx.Create(&SecondFactor{ID: NewID(), UserID: u.ID, Kind: SecondFactorTOTP, SecretEnc: sealed, CreatedAt: now}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("models: begin totp enrolment: %w", err)
	}
	return key, nil
}

// PendingTOTPKey is the unconfirmed key of an enrolment in progress (for the
// QR code and the manual-entry secret); ErrNotFound once confirmed, since a
// confirmed secret is never shown again.
func PendingTOTPKey(ctx context.Context, db *gorm.DB, box SecretBox, u *User, issuer string) (*otp.Key, error) {
	var f SecondFactor
	err := db.WithContext(ctx).First(&f, "user_id = ? AND kind = ? AND confirmed_at IS NULL", u.ID, SecondFactorTOTP).Error
	if err != nil {
		return nil, fmt.Errorf("models: pending totp: %w", translate(err))
	}
	secret, err := box.Open(f.SecretEnc)
	if err != nil {
		return nil, err
	}
	return totpKey(issuer, u.Email, secret)
}

func totpKey(issuer, account, secret string) (*otp.Key, error) {
	v := strings.NewReplacer(" ", "%20").Replace
	k, err := otp.NewKeyFromURL(fmt.Sprintf("otpauth://totp/%s:%s?secret=%s&issuer=%s&period=%d&digits=6&algorithm=SHA1",
		v(issuer), v(account), secret, v(issuer), TOTPPeriod))
	if err != nil {
		return nil, fmt.Errorf("models: totp key: %w", err)
	}
	return k, nil
}

// ConfirmTOTP finishes an enrolment with a first code from the app: the
// factor becomes active, ten new recovery codes replace any old ones (returned
// here, the only time they exist in clear), and every other session of the
// user ends (keepSessionID is the stored ID of the one confirming).
func ConfirmTOTP(ctx context.Context, db *gorm.DB, box SecretBox, userID, code, keepSessionID string, now time.Time) ([]string, error) {
	var codes []string
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		var f SecondFactor
		if err := tx.First(&f, "user_id = ? AND kind = ? AND confirmed_at IS NULL", userID, SecondFactorTOTP).Error; err != nil {
			return translate(err)
		}
		step, err := matchTOTP(box, &f, code, now)
		if err != nil {
			return err
		}
		if err := tx.Model(&SecondFactor{}).Where("id = ?", f.ID).
			Updates(map[string]any{"confirmed_at": now, "last_step": step, "last_used_at": now}).Error; err != nil {
			return err
		}
		if codes, err = replaceRecoveryCodes(tx, userID, now); err != nil {
			return err
		}
		return RevokeOtherSessions(ctx, tx, userID, keepSessionID, now)
	})
	if err != nil {
		return nil, fmt.Errorf("models: confirm totp: %w", err)
	}
	return codes, nil
}

// RegenerateRecoveryCodes replaces a user's recovery codes with ten new ones.
func RegenerateRecoveryCodes(ctx context.Context, db *gorm.DB, userID string, now time.Time) ([]string, error) {
	var codes []string
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		var err error
		codes, err = replaceRecoveryCodes(tx, userID, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("models: recovery codes: %w", err)
	}
	return codes, nil
}

func replaceRecoveryCodes(tx *gorm.DB, userID string, now time.Time) ([]string, error) {
	if err := tx.Where("user_id = ?", userID).Delete(&RecoveryCode{}).Error; err != nil {
		return nil, err
	}
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		if err := tx.Create(&RecoveryCode{ID: NewID(), UserID: userID, CodeHash: HashSecret(normalizeRecoveryCode(codes[i])), CreatedAt: now}).Error; err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// newRecoveryCode is 16 characters of Crockford-style base32 (80 random bits,
// beyond offline guessing from a stolen hash), grouped xxxx-xxxx-xxxx-xxxx.
func newRecoveryCode() string {
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		panic(fmt.Sprintf("models: crypto/rand failed: %v", err))
	}
	var b strings.Builder
	for i := range 16 {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(alphabet[raw[i]&31]) // 256 is a multiple of 32: unbiased
	}
	return b.String()
}

func normalizeRecoveryCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// Second-factor methods VerifySecondFactor reports.
const (
	MethodTOTP         = "totp"
	MethodRecoveryCode = "recovery_code"
)

// VerifySecondFactor checks a code typed at sign-in (or to confirm a change):
// six digits are an authenticator code, accepted once per time step within
// TOTPSkew steps; anything else is tried as an unused recovery code, which is
// then spent. It returns which method matched, or ErrWrongCode / ErrCodeReused.
func VerifySecondFactor(ctx context.Context, db *gorm.DB, box SecretBox, userID, code string, now time.Time) (string, error) {
	code = strings.TrimSpace(code)
	if isTOTPCode(code) {
		f, err := confirmedTOTP(ctx, db, userID)
		if err != nil {
			return "", err
		}
		step, err := matchTOTP(box, f, code, now)
		if err != nil {
			return "", err
		}
		// Conditional on last_step, so two requests with the same code cannot
		// both pass.
		res := db.WithContext(ctx).Model(&SecondFactor{}).Where("id = ? AND last_step < ?", f.ID, step).
			Updates(map[string]any{"last_step": step, "last_used_at": now})
		if res.Error != nil {
			return "", fmt.Errorf("models: verify code: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return "", ErrCodeReused
		}
		return MethodTOTP, nil
	}
	n := normalizeRecoveryCode(code)
	if len(n) != 16 {
		return "", ErrWrongCode
	}
	res := db.WithContext(ctx).Model(&RecoveryCode{}).Where("user_id = ? AND code_hash = ? AND used_at IS NULL", userID, HashSecret(n)).Update("used_at", now)
	if res.Error != nil {
		return "", fmt.Errorf("models: recovery code: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return "", ErrWrongCode
	}
	return MethodRecoveryCode, nil
}

func isTOTPCode(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// matchTOTP finds the time step whose code is code, refusing steps already
// used. Every candidate is compared, in constant time.
func matchTOTP(box SecretBox, f *SecondFactor, code string, now time.Time) (int64, error) {
	if !isTOTPCode(strings.TrimSpace(code)) {
		return 0, ErrWrongCode
	}
	secret, err := box.Open(f.SecretEnc)
	if err != nil {
		return 0, err
	}
	cur := now.Unix() / TOTPPeriod
	matched, reused := int64(0), false
	for step := cur - TOTPSkew; step <= cur+TOTPSkew; step++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*TOTPPeriod, 0), totp.ValidateOpts{Period: TOTPPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, fmt.Errorf("models: totp: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(strings.TrimSpace(code))) == 1 {
			if step <= f.LastStep {
				reused = true
			} else if matched == 0 {
				matched = step
			}
		}
	}
	switch {
	case matched != 0:
		return matched, nil
	case reused:
		return 0, ErrCodeReused
	}
	return 0, ErrWrongCode
}

// RemoveSecondFactor deletes a user's second factors and recovery codes (the
// user turning it off, or an admin resetting it for someone who lost their
// phone) and ends every session but keepSessionID ("" ends them all). It
// reports ErrNotFound when there was nothing to remove.
func RemoveSecondFactor(ctx context.Context, db *gorm.DB, userID, keepSessionID string, now time.Time) error {
	err := Transaction(ctx, db, func(tx *gorm.DB) error {
		res := tx.Where("user_id = ?", userID).Delete(&SecondFactor{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := tx.Where("user_id = ?", userID).Delete(&RecoveryCode{}).Error; err != nil {
			return err
		}
		return RevokeOtherSessions(ctx, tx, userID, keepSessionID, now)
	})
	if err != nil {
		return fmt.Errorf("models: remove second factor: %w", err)
	}
	return nil
}

package app

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"pressroom/models"
)

// Sign-in limits. Only failed sign-ins count: an office behind one NAT signs in
// as often as it likes, and a correct password clears the failures of its own
// (account, address) pair.
//
//   - Per (account, address): LoginFailuresPerPair failures per LoginPairWindow,
//     then that address waits before trying that account again (even with the
//     right password).
//   - Per address, across accounts: LoginFailuresPerAddress failures per
//     LoginAddressWindow stop password spraying from one network.
//   - Per account, from every address: past LoginFailuresPerAccount failures in
//     LoginAccountWindow the account is under attack, and each address gets one
//     wrong try per LoginPairWindow for it instead of LoginFailuresPerPair.
//
// The account limit slows rather than locks on purpose. Locking the account
// would let anyone with enough addresses keep its owner out mid-crisis; slowing
// costs a botnet one address per guess per window, the password policy (models:
// strength checked, common passwords refused) makes online guessing hopeless at
// that rate, and the owner's right password at their first try still works.
// Every failure is in the audit log (login_failed) for whoever investigates.
//
// IPv6 addresses count by their /64, which one client usually holds whole.
const (
	LoginFailuresPerPair    = 5
	LoginPairWindow         = 15 * time.Minute
	LoginFailuresPerAddress = 30
	LoginAddressWindow      = 15 * time.Minute
	LoginFailuresPerAccount = 50
	LoginAccountWindow      = time.Hour
)

// LoginGuard applies the sign-in limits. Its counts live in Counters, so they
// can move to the database without touching the rules.
type LoginGuard struct {
	pairs, addresses, accounts Counter
}

// NewLoginGuard builds a guard counting in memory on the clock now.
func NewLoginGuard(now func() time.Time) *LoginGuard {
	return &LoginGuard{
		pairs:     NewMemoryCounter(LoginPairWindow, now),
		addresses: NewMemoryCounter(LoginAddressWindow, now),
		accounts:  NewMemoryCounter(LoginAccountWindow, now),
	}
}

// LoginRefused is why a sign-in attempt is not even checked: the message for the
// person and how long they must wait.
type LoginRefused struct {
	Wait    time.Duration
	Message string
}

// LoginAttempt is a sign-in attempt counted by Begin. It stays counted as a
// failure unless Succeeded is called.
type LoginAttempt struct {
	g                      *LoginGuard
	pair, address, account string
}

// Begin counts an attempt at email from ip against every limit before its
// password is checked (so parallel requests cannot slip past a limit), or
// refuses it, uncounted, when a limit is reached. Emails are counted whether or
// not an account has them, so the answer reveals nothing about who has one.
func (g *LoginGuard) Begin(ctx context.Context, email, ip string) (*LoginAttempt, *LoginRefused, error) {
	a := &LoginAttempt{g: g, address: addressKey(ip), account: accountKey(email)}
	a.pair = a.address + " " + a.account
	n, reset, err := g.addresses.Add(ctx, a.address)
	if err != nil {
		return nil, nil, fmt.Errorf("app: sign-in limits: %w", err)
	}
	if n > LoginFailuresPerAddress {
		return nil, &LoginRefused{Wait: reset, Message: fmt.Sprintf("Too many failed sign-ins from your network. Try again in %s.", minutes(reset))},
			g.addresses.Undo(ctx, a.address)
	}
	accountFailures, _, err := g.accounts.Add(ctx, a.account)
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("app: sign-in limits: %w", err), g.addresses.Undo(ctx, a.address))
	}
	pairMax := LoginFailuresPerPair
	if accountFailures > LoginFailuresPerAccount {
		pairMax = 1
	}
	n, reset, err = g.pairs.Add(ctx, a.pair)
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("app: sign-in limits: %w", err), a.undo(ctx))
	}
	if n <= pairMax {
		return a, nil, nil
	}
	refused := &LoginRefused{Wait: reset, Message: fmt.Sprintf(
		"Too many failed sign-ins for this account from your network. Try again in %s, or ask an admin to set you a new password.", minutes(reset))}
	if n <= LoginFailuresPerPair {
		refused.Message = fmt.Sprintf("This account has had many failed sign-ins from elsewhere, so each network gets one wrong try per %s. "+
			"Try again in %s, or ask an admin to set you a new password.", minutes(LoginPairWindow), minutes(reset))
	}
	return nil, refused, errors.Join(a.undo(ctx), g.pairs.Undo(ctx, a.pair))
}

// Succeeded records that the attempt's password was right: it clears the
// pair's failures and takes the attempt back from the address and account
// counts (but keeps the failures others made there).
func (a *LoginAttempt) Succeeded(ctx context.Context) error {
	if err := errors.Join(a.g.pairs.Reset(ctx, a.pair), a.undo(ctx)); err != nil {
		return fmt.Errorf("app: sign-in limits: %w", err)
	}
	return nil
}

func (a *LoginAttempt) undo(ctx context.Context) error {
	return errors.Join(a.g.addresses.Undo(ctx, a.address), a.g.accounts.Undo(ctx, a.account))
}

// accountKey is the normalised email, cut to the longest address there can be
// so a huge form value costs no memory.
func accountKey(email string) string {
	e := models.NormalizeEmail(email)
	if len(e) > 254 {
		e = e[:254]
	}
	return e
}

// addressKey is the client address as limits see it: IPv4 as is, IPv6 by its
// /64.
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// minutes is a wait as people read it, rounded up to whole minutes.
func minutes(d time.Duration) string {
	n := int((d + time.Minute - 1) / time.Minute)
	if n <= 1 {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", n)
}

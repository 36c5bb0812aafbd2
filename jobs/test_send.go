package jobs

import (
	"strings"

	"pressroom/models"
)

// TestRecipient personalises a test of a send: rendered exactly as sample (a
// named member of the audience) gets it, but addressed to to, with the test's
// own preview link (previewToken, "" when the release is not under embargo)
// and an unsubscribe link that changes nothing. Its custom args name the send
// as test_of, never send_id, so no event of a test counts in the send's
// statistics.
func (c *SendContent) TestRecipient(sample models.BatchRecipient, to Address, baseURL, previewToken string) Recipient {
	// The test must never carry the sample's own unsubscribe link.
	sample.SupporterID, sample.ContactID = nil, nil
	rc := c.PersonalizeFor(sample, baseURL, nil, previewToken)
	rc.To = to
	rc.CustomArgs = map[string]string{"test_of": c.Send.ID}
	u := strings.TrimRight(baseURL, "/") + "/u/" + models.TestUnsubscribeToken
	Substitute(rc.Substitutions, KeyUnsubscribe, u)
	rc.Headers = map[string]string{"List-Unsubscribe": "<" + u + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
	return rc
}

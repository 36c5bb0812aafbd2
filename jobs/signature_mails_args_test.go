package jobs_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"pressroom/jobs"
	"pressroom/models"
)

// TestSignatureMailsArgsJSON: a batch's emails survive their job's JSON in
// the packed form, jobs queued in the earlier form still decode, and a field
// that would break the packing is refused rather than written.
func TestSignatureMailsArgsJSON(t *testing.T) {
	args := jobs.SignatureMailsArgs{Mails: []jobs.SignatureMailArgs{
		{SignatureID: "sig1", Email: models.SignEmailConfirm, Token: "tok-1_x"},
		{SignatureID: "sig2", Email: models.SignEmailAlready},
		{SignatureID: "sig3", Email: models.SignEmailConfirm, Token: "tok3"},
	}}
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"packed":"sig1\tconfirm\ttok-1_x\nsig2\talready_signed\t\nsig3\tconfirm\ttok3"}`; string(b) != want {
		t.Errorf("JSON %s", b)
	}
	var back jobs.SignatureMailsArgs
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, args) {
		t.Fatalf("round trip: %v\n%+v\nwant %+v", err, back, args)
	}

	var old jobs.SignatureMailsArgs
	if err := json.Unmarshal([]byte(`{"mails":[{"signature_id":"sig9","email":"confirm","token":"t9"}]}`), &old); err != nil ||
		len(old.Mails) != 1 || old.Mails[0] != (jobs.SignatureMailArgs{SignatureID: "sig9", Email: models.SignEmailConfirm, Token: "t9"}) {
		t.Errorf("earlier form: %v %+v", err, old)
	}
	var empty jobs.SignatureMailsArgs
	if err := json.Unmarshal([]byte(`{"packed":""}`), &empty); err != nil || len(empty.Mails) != 0 {
		t.Errorf("empty: %v %+v", err, empty)
	}
	if err := json.Unmarshal([]byte(`{"packed":"sig1 confirm tok"}`), &empty); err == nil {
		t.Error("a line without its fields decoded")
	}
	if _, err := json.Marshal(jobs.SignatureMailsArgs{Mails: []jobs.SignatureMailArgs{{SignatureID: "a\tb", Email: models.SignEmailConfirm}}}); err == nil {
		t.Error("a tab in a field was written, which would shift the fields of the line")
	}
}

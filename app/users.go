package app

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"pressroom/models"
)

// UsersHandler lets admins manage staff accounts and workflow groups.
type UsersHandler struct {
	s *Server
}

// Register adds the user and group pages.
func (h *UsersHandler) Register(r Routes) {
	admin := Roles(models.RoleAdmin)
	r.GET("/users", Staff, h.list)
	r.GET("/users/new", admin, h.newForm)
	r.POST("/users", admin, h.create)
	r.GET("/users/:id", admin, h.editForm)
	r.POST("/users/:id", admin, h.update)
	r.GET("/groups", Staff, h.groups)
	r.POST("/groups", admin, h.createGroup)
	r.POST("/groups/:id/backup", admin, h.setBackup)
}

// userForm is what the user form posts; copied field by field into the models
// input, so a request can never set a read-only field.
type userForm struct {
	ID       string
	Email    string
	Name     string
	Role     string
	Groups   []string
	TimeZone string
	Disabled bool
}

type usersPage struct {
	Users  []models.User
	Groups []models.GroupWithCount
	Form   userForm
}

func (h *UsersHandler) list(c *gin.Context) {
	ctx := c.Request.Context()
	users, err := models.Users(ctx, h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.s.render(c, http.StatusOK, "admin/users", h.s.page(c, "Users", "users", usersPage{Users: users}))
}

func (h *UsersHandler) renderForm(c *gin.Context, status int, form userForm, errs map[string]string) {
	groups, err := models.Groups(c.Request.Context(), h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	title := "New user"
	if form.ID != "" {
		title = "Edit " + form.Name
	}
	v := h.s.page(c, title, "users", usersPage{Groups: groups, Form: form})
	v.Errors = errs
	h.s.render(c, status, "admin/user_form", v)
}

func (h *UsersHandler) newForm(c *gin.Context) {
	h.renderForm(c, http.StatusOK, userForm{Role: string(models.RolePressOfficer)}, nil)
}

func (h *UsersHandler) create(c *gin.Context) {
	ctx := c.Request.Context()
	form := userForm{Email: c.PostForm("email"), Name: c.PostForm("name"), Role: c.PostForm("role"),
		Groups: c.PostFormArray("groups"), TimeZone: c.PostForm("time_zone")}
	password := c.PostForm("password")
	generated := false
	if password == "" {
		password = models.NewSecret(12)
		generated = true
	}
	// Whether generated or typed by the admin, the password is not the user's
	// own: they choose theirs at first sign-in.
	u, err := models.CreateUser(ctx, h.s.db.Gorm, models.NewUserInput{Email: form.Email, Name: form.Name, Role: models.Role(form.Role),
		Password: password, Groups: form.Groups, TimeZone: form.TimeZone, MustChangePassword: true})
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		h.renderForm(c, http.StatusUnprocessableEntity, form, ve.Fields)
		return
	case errors.Is(err, models.ErrConflict):
		h.renderForm(c, http.StatusUnprocessableEntity, form, map[string]string{"email": "already belongs to an account"})
		return
	case err != nil:
		_ = c.Error(err)
		return
	}
	actor := currentUser(c)
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: models.ActionUserCreated, SubjectType: "user", SubjectID: u.ID,
		IP: c.ClientIP(), Details: "role " + string(u.Role)})
	msg := "Account created for " + u.Email + "."
	if generated {
		msg += " Their password is " + password + " — pass it on securely; it is not shown again."
	}
	msg += " They choose their own at first sign-in."
	h.s.setFlash(c, "success", msg)
	redirect(c, "/admin/users")
}

func (h *UsersHandler) editForm(c *gin.Context) {
	u, err := models.UserByID(c.Request.Context(), h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	h.renderForm(c, http.StatusOK, userForm{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), Groups: u.GroupNames(),
		TimeZone: u.TimeZone, Disabled: u.DisabledAt != nil}, nil)
}

func (h *UsersHandler) update(c *gin.Context) {
	ctx := c.Request.Context()
	u, err := models.UserByID(ctx, h.s.db.Gorm, c.Param("id"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	form := userForm{ID: u.ID, Email: u.Email, Name: c.PostForm("name"), Role: c.PostForm("role"), Groups: c.PostFormArray("groups"),
		TimeZone: c.PostForm("time_zone"), Disabled: c.PostForm("disabled") == "on"}
	actor := currentUser(c)
	if actor.ID == u.ID && (form.Disabled || form.Role != string(models.RoleAdmin)) {
		h.renderForm(c, http.StatusUnprocessableEntity, form, map[string]string{"role": "you cannot demote or disable your own account; ask another admin"})
		return
	}
	// Check a new password before saving anything, so a refused one leaves the
	// account as it was.
	if p := c.PostForm("password"); p != "" {
		if problem := models.PasswordProblem(p, form.Name, u.Email); problem != "" {
			h.renderForm(c, http.StatusUnprocessableEntity, form, map[string]string{"password": problem})
			return
		}
	}
	now := h.s.clock.Now()
	err = models.UpdateUser(ctx, h.s.db.Gorm, u.ID, models.UpdateUserInput{Name: form.Name, Role: models.Role(form.Role), Groups: form.Groups,
		Disabled: form.Disabled, TimeZone: form.TimeZone}, now)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		h.renderForm(c, http.StatusUnprocessableEntity, form, ve.Fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	if p := c.PostForm("password"); p != "" {
		// A password an admin sets for someone else is temporary; their own is not.
		set := models.AssignPassword
		if actor.ID == u.ID {
			set = models.SetPassword
		}
		if err := set(ctx, h.s.db.Gorm, u.ID, p, now); err != nil {
			if errors.As(err, &ve) {
				h.renderForm(c, http.StatusUnprocessableEntity, form, ve.Fields)
				return
			}
			_ = c.Error(err)
			return
		}
	}
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: models.ActionUserUpdated, SubjectType: "user", SubjectID: u.ID,
		IP: c.ClientIP(), Details: userChanges(u, form, c.PostForm("password") != "")})
	h.s.setFlash(c, "success", "Saved "+form.Name+".")
	redirect(c, "/admin/users")
}

type groupsPage struct {
	Groups  []models.GroupWithCount
	Members map[string][]models.GroupMemberView
	Name    string
}

func (h *UsersHandler) renderGroups(c *gin.Context, status int, name string, errs map[string]string) {
	ctx := c.Request.Context()
	groups, err := models.Groups(ctx, h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	members, err := models.GroupMembers(ctx, h.s.db.Gorm)
	if err != nil {
		_ = c.Error(err)
		return
	}
	v := h.s.page(c, "Groups", "groups", groupsPage{Groups: groups, Members: members, Name: name})
	v.Errors = errs
	h.s.render(c, status, "admin/groups", v)
}

func (h *UsersHandler) groups(c *gin.Context) { h.renderGroups(c, http.StatusOK, "", nil) }

func (h *UsersHandler) createGroup(c *gin.Context) {
	ctx := c.Request.Context()
	g, err := models.CreateGroup(ctx, h.s.db.Gorm, c.PostForm("name"), c.PostForm("description"))
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		h.renderGroups(c, http.StatusUnprocessableEntity, c.PostForm("name"), ve.Fields)
		return
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	actor := currentUser(c)
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: models.ActionGroupCreated, SubjectType: "group", SubjectID: g.ID, IP: c.ClientIP(), Details: g.Name})
	h.s.setFlash(c, "success", "Group "+g.Name+" created. Add members from each user's page.")
	redirect(c, "/admin/groups")
}

func (h *UsersHandler) setBackup(c *gin.Context) {
	ctx := c.Request.Context()
	backup := c.PostForm("backup") == "true"
	if err := models.SetBackup(ctx, h.s.db.Gorm, c.Param("id"), c.PostForm("user_id"), backup); err != nil {
		_ = c.Error(err)
		return
	}
	actor := currentUser(c)
	_ = models.Audit(ctx, h.s.db.Gorm, models.AuditEvent{ActorID: &actor.ID, Action: "group_backup_changed", SubjectType: "group", SubjectID: c.Param("id"),
		IP: c.ClientIP(), Details: "user " + c.PostForm("user_id") + " backup=" + c.PostForm("backup")})
	h.s.setFlash(c, "success", "Backup approvers updated.")
	redirect(c, "/admin/groups")
}

// userChanges says what an admin's save changed on an account, for the audit
// log: each changed field as before → after.
func userChanges(before *models.User, after userForm, passwordSet bool) string {
	var ch []string
	if before.Name != after.Name {
		ch = append(ch, fmt.Sprintf("name %q → %q", before.Name, after.Name))
	}
	if string(before.Role) != after.Role {
		ch = append(ch, "role "+string(before.Role)+" → "+after.Role)
	}
	was, now := before.GroupNames(), slices.Clone(after.Groups)
	slices.Sort(was)
	slices.Sort(now)
	if !slices.Equal(was, now) {
		ch = append(ch, "groups ["+strings.Join(was, ", ")+"] → ["+strings.Join(now, ", ")+"]")
	}
	if before.TimeZone != after.TimeZone {
		ch = append(ch, "time zone "+before.TimeZone+" → "+after.TimeZone)
	}
	switch wasDisabled := before.DisabledAt != nil; {
	case !wasDisabled && after.Disabled:
		ch = append(ch, "disabled")
	case wasDisabled && !after.Disabled:
		ch = append(ch, "enabled")
	}
	if passwordSet {
		ch = append(ch, "password set")
	}
	if len(ch) == 0 {
		return "no change"
	}
	return strings.Join(ch, "; ")
}

// Sign in (#/signin) and sign up (#/signup): one form, two modes. The API's errors land at the
// field they name (a taken email, a short password); a wrong password is a general error.
import { ApiError, signIn } from "../api.js";
import { clearErrors, field, formError, h, showError } from "../dom.js";

export function signInView({ main, route, navigate, next }) {
  const signingUp = route === "signup";
  const email = h("input", { type: "email", name: "email", autocomplete: "email", inputmode: "email", spellcheck: "false" });
  const password = h("input", { type: "password", name: "password", autocomplete: signingUp ? "new-password" : "current-password" });
  const name = signingUp ? h("input", { type: "text", name: "name", autocomplete: "name" }) : null;
  const submit = h("button", { type: "submit", class: "primary" }, signingUp ? "Create account" : "Sign in");

  const form = h(
    "form",
    { novalidate: true, class: "auth-form", "aria-labelledby": "page-title" },
    formError(),
    field("email", "Email", email),
    field("password", "Password", password, { hint: signingUp ? "At least 8 characters" : undefined }),
    name ? field("name", "Name (optional)", name) : null,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    submit.disabled = true;
    try {
      const body = { email: email.value, password: password.value };
      if (name && name.value.trim()) body.name = name.value.trim();
      await signIn(signingUp ? "register" : "login", body);
      navigate(next || "#/", signingUp ? "Welcome to taskjet." : "Signed in.");
    } catch (err) {
      showError(form, err instanceof ApiError ? err : new ApiError(0, null));
    } finally {
      submit.disabled = false;
    }
  });

  main.append(
    h("div", { class: "auth" },
      h("h1", { id: "page-title", tabindex: "-1" }, signingUp ? "Create your account" : "Sign in to taskjet"),
      form,
      h("p", {}, signingUp ? "Already have an account? " : "New here? ", h("a", { href: signingUp ? "#/signin" : "#/signup" }, signingUp ? "Sign in" : "Create an account")),
    ),
  );
}

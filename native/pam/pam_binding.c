/*
 * The gateway's PAM binding (Node-API, C): one PAM transaction per call,
 * run on libuv's thread pool, as bmcweb runs it: pam_start, pam_set_item
 * (PAM_RHOST), the steps asked for (pam_authenticate, pam_acct_mgmt, or
 * pam_chauthtok for a password change), pam_end.
 *
 *   transaction({ service, user, remoteHost, answers: [{ prompt, value }], steps: ['authenticate', 'acct_mgmt'] })
 *   transaction({ ..., answers: [{ prompt: 'New password', value }, ...], steps: ['chauthtok'] })
 *     -> Promise<{ ok, code, step, message, unansweredPrompt?, messages: [{ style, text }] }>
 *
 * The conversation answers prompts by their text: a prompt (echo on or off)
 * gets the value of the first answer whose `prompt` it starts with
 * ("Password" answers "Password: ", "Verification code" a one-time code
 * module's "Verification code: "); any other prompt fails the conversation
 * (PAM_CONV_ERR) and is reported as `unansweredPrompt`, so a value never
 * reaches a prompt it was not meant for. Error and info messages (a
 * password quality module's reasons, pam_faillock's "account is locked")
 * are collected in `messages`. The result names PAM's return code
 * (`PAM_AUTH_ERR`, `PAM_NEW_AUTHTOK_REQD` for an expired password, ...) and
 * the step that returned it.
 *
 * No step runs with PAM_SILENT: the modules' messages are what tells a
 * client why a new password was refused.
 *
 * Secrets are copied into memory this file owns and wiped before it is
 * freed. No JavaScript runs on the worker thread.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ANSWERS 4
#define MAX_STEPS 4
#define MAX_MESSAGES 16
#define MAX_TEXT 512
#define MAX_NAME 256

typedef enum { STEP_AUTHENTICATE, STEP_ACCT_MGMT, STEP_CHAUTHTOK } step_t;

static const char *const STEP_NAMES[] = { "authenticate", "acct_mgmt", "chauthtok" };

typedef struct {
  char *prompt;
  char *value;
} answer_t;

typedef struct {
  int style;
  char *text;
} message_t;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *service;
  char *user;
  char *remote_host;
  answer_t answers[MAX_ANSWERS];
  size_t answer_count;
  step_t steps[MAX_STEPS];
  size_t step_count;
  /* Results, written by the worker thread. */
  int code;
  const char *failed_step; /* "start", a step name, or NULL on success */
  char *message;
  char *unanswered_prompt;
  message_t messages[MAX_MESSAGES];
  size_t message_count;
} job_t;

#define CODE(name) { name, #name }
static const struct {
  int code;
  const char *name;
} CODE_NAMES[] = {
  CODE(PAM_SUCCESS), CODE(PAM_OPEN_ERR), CODE(PAM_SYMBOL_ERR), CODE(PAM_SERVICE_ERR), CODE(PAM_SYSTEM_ERR),
  CODE(PAM_BUF_ERR), CODE(PAM_PERM_DENIED), CODE(PAM_AUTH_ERR), CODE(PAM_CRED_INSUFFICIENT),
  CODE(PAM_AUTHINFO_UNAVAIL), CODE(PAM_USER_UNKNOWN), CODE(PAM_MAXTRIES), CODE(PAM_NEW_AUTHTOK_REQD),
  CODE(PAM_ACCT_EXPIRED), CODE(PAM_SESSION_ERR), CODE(PAM_CRED_UNAVAIL), CODE(PAM_CRED_EXPIRED), CODE(PAM_CRED_ERR),
  CODE(PAM_NO_MODULE_DATA), CODE(PAM_CONV_ERR), CODE(PAM_AUTHTOK_ERR), CODE(PAM_AUTHTOK_RECOVERY_ERR),
  CODE(PAM_AUTHTOK_LOCK_BUSY), CODE(PAM_AUTHTOK_DISABLE_AGING), CODE(PAM_TRY_AGAIN), CODE(PAM_IGNORE),
  CODE(PAM_ABORT), CODE(PAM_AUTHTOK_EXPIRED), CODE(PAM_MODULE_UNKNOWN), CODE(PAM_BAD_ITEM), CODE(PAM_CONV_AGAIN),
  CODE(PAM_INCOMPLETE),
};

static const char *code_name(int code) {
  for (size_t i = 0; i < sizeof CODE_NAMES / sizeof CODE_NAMES[0]; i++) {
    if (CODE_NAMES[i].code == code) return CODE_NAMES[i].name;
  }
  return "PAM_UNKNOWN_CODE";
}

/* A copy of at most MAX_TEXT bytes (PAM's texts come from modules). */
static char *copy_text(const char *text) {
  if (text == NULL) return strdup("");
  size_t length = strnlen(text, MAX_TEXT);
  char *copy = malloc(length + 1);
  if (copy == NULL) return NULL;
  memcpy(copy, text, length);
  copy[length] = '\0';
  return copy;
}

static void wipe_free(char *secret) {
  if (secret == NULL) return;
  explicit_bzero(secret, strlen(secret));
  free(secret);
}

static void free_replies(struct pam_response *replies, int count) {
  for (int i = 0; i < count; i++) wipe_free(replies[i].resp);
  free(replies);
}

static const answer_t *answer_for(const job_t *job, const char *prompt) {
  if (prompt == NULL) return NULL;
  for (size_t i = 0; i < job->answer_count; i++) {
    size_t length = strlen(job->answers[i].prompt);
    if (strncmp(prompt, job->answers[i].prompt, length) == 0) return &job->answers[i];
  }
  return NULL;
}

static int converse(int count, const struct pam_message **messages, struct pam_response **responses, void *data) {
  job_t *job = data;
  if (count <= 0 || count > PAM_MAX_NUM_MSG || messages == NULL || responses == NULL) return PAM_CONV_ERR;
  struct pam_response *replies = calloc((size_t)count, sizeof *replies);
  if (replies == NULL) return PAM_BUF_ERR;
  for (int i = 0; i < count; i++) {
    /* Linux-PAM passes an array of pointers (Solaris a pointer to an array). */
    const struct pam_message *message = messages[i];
    switch (message->msg_style) {
      case PAM_PROMPT_ECHO_OFF:
      case PAM_PROMPT_ECHO_ON: {
        const answer_t *answer = answer_for(job, message->msg);
        if (answer == NULL) {
          if (job->unanswered_prompt == NULL) job->unanswered_prompt = copy_text(message->msg);
          free_replies(replies, count);
          return PAM_CONV_ERR;
        }
        replies[i].resp = strdup(answer->value);
        if (replies[i].resp == NULL) {
          free_replies(replies, count);
          return PAM_BUF_ERR;
        }
        break;
      }
      case PAM_ERROR_MSG:
      case PAM_TEXT_INFO:
        if (job->message_count < MAX_MESSAGES) {
          char *text = copy_text(message->msg);
          if (text != NULL) {
            job->messages[job->message_count].style = message->msg_style;
            job->messages[job->message_count].text = text;
            job->message_count++;
          }
        }
        break;
      default:
        free_replies(replies, count);
        return PAM_CONV_ERR;
    }
  }
  *responses = replies;
  return PAM_SUCCESS;
}

/* Worker thread: the whole transaction. */
static void execute(napi_env env, void *data) {
  (void)env;
  job_t *job = data;
  struct pam_conv conversation = { converse, job };
  pam_handle_t *handle = NULL;
  int code = pam_start(job->service, job->user, &conversation, &handle);
  if (code != PAM_SUCCESS) {
    job->code = code;
    job->failed_step = "start";
    job->message = copy_text(pam_strerror(handle, code));
    if (handle != NULL) pam_end(handle, code);
    return;
  }
  code = pam_set_item(handle, PAM_RHOST, job->remote_host);
  if (code != PAM_SUCCESS) job->failed_step = "start";
  for (size_t i = 0; code == PAM_SUCCESS && i < job->step_count; i++) {
    switch (job->steps[i]) {
      case STEP_AUTHENTICATE: code = pam_authenticate(handle, PAM_DISALLOW_NULL_AUTHTOK); break;
      case STEP_ACCT_MGMT: code = pam_acct_mgmt(handle, PAM_DISALLOW_NULL_AUTHTOK); break;
      case STEP_CHAUTHTOK: code = pam_chauthtok(handle, 0); break;
    }
    if (code != PAM_SUCCESS) job->failed_step = STEP_NAMES[job->steps[i]];
  }
  job->code = code;
  job->message = copy_text(pam_strerror(handle, code));
  pam_end(handle, code);
}

static void free_job(job_t *job) {
  free(job->service);
  free(job->user);
  free(job->remote_host);
  for (size_t i = 0; i < job->answer_count; i++) {
    free(job->answers[i].prompt);
    wipe_free(job->answers[i].value);
  }
  free(job->message);
  free(job->unanswered_prompt);
  for (size_t i = 0; i < job->message_count; i++) free(job->messages[i].text);
  free(job);
}

static napi_value string_value(napi_env env, const char *text) {
  napi_value value;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &value);
  return value;
}

static void set(napi_env env, napi_value object, const char *name, napi_value value) {
  napi_set_named_property(env, object, name, value);
}

/* Main thread: the result object, then the job is freed. */
static void complete(napi_env env, napi_status status, void *data) {
  job_t *job = data;
  napi_value result;
  napi_create_object(env, &result);
  if (status != napi_ok) {
    job->code = PAM_ABORT;
    job->failed_step = "start";
  }
  napi_value ok;
  napi_get_boolean(env, job->code == PAM_SUCCESS, &ok);
  set(env, result, "ok", ok);
  set(env, result, "code", string_value(env, code_name(job->code)));
  napi_value step;
  if (job->failed_step != NULL) step = string_value(env, job->failed_step);
  else napi_get_null(env, &step);
  set(env, result, "step", step);
  set(env, result, "message", string_value(env, job->message != NULL ? job->message : ""));
  if (job->unanswered_prompt != NULL) set(env, result, "unansweredPrompt", string_value(env, job->unanswered_prompt));
  napi_value messages;
  napi_create_array_with_length(env, job->message_count, &messages);
  for (size_t i = 0; i < job->message_count; i++) {
    napi_value entry;
    napi_create_object(env, &entry);
    set(env, entry, "style", string_value(env, job->messages[i].style == PAM_ERROR_MSG ? "error" : "info"));
    set(env, entry, "text", string_value(env, job->messages[i].text));
    napi_set_element(env, messages, (uint32_t)i, entry);
  }
  set(env, result, "messages", messages);
  napi_resolve_deferred(env, job->deferred, result);
  napi_delete_async_work(env, job->work);
  free_job(job);
}

/* A copy of a JS string of at most `max` bytes without NUL; NULL (with a pending TypeError) otherwise. */
static char *copy_string(napi_env env, napi_value value, const char *what, size_t max) {
  char text[128];
  napi_valuetype type;
  if (value == NULL || napi_typeof(env, value, &type) != napi_ok || type != napi_string) {
    snprintf(text, sizeof text, "%s must be a string", what);
    napi_throw_type_error(env, NULL, text);
    return NULL;
  }
  size_t length;
  napi_get_value_string_utf8(env, value, NULL, 0, &length);
  if (length > max) {
    snprintf(text, sizeof text, "%s is longer than %zu bytes", what, max);
    napi_throw_type_error(env, NULL, text);
    return NULL;
  }
  char *copy = malloc(length + 1);
  if (copy == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, value, copy, length + 1, &length);
  if (strlen(copy) != length) {
    wipe_free(copy);
    snprintf(text, sizeof text, "%s must not contain NUL", what);
    napi_throw_type_error(env, NULL, text);
    return NULL;
  }
  return copy;
}

static char *string_property(napi_env env, napi_value object, const char *name, size_t max) {
  napi_value value = NULL;
  napi_valuetype type;
  if (napi_typeof(env, object, &type) != napi_ok || type != napi_object || napi_get_named_property(env, object, name, &value) != napi_ok) {
    value = NULL;
  }
  return copy_string(env, value, name, max);
}

static napi_value array_property(napi_env env, napi_value object, const char *name, uint32_t max, uint32_t *length) {
  napi_value value;
  bool is_array = false;
  if (napi_get_named_property(env, object, name, &value) == napi_ok) napi_is_array(env, value, &is_array);
  if (!is_array || napi_get_array_length(env, value, length) != napi_ok || *length > max) {
    char text[96];
    snprintf(text, sizeof text, "%s must be an array of at most %u entries", name, max);
    napi_throw_type_error(env, NULL, text);
    return NULL;
  }
  return value;
}

static bool read_job(napi_env env, napi_value options, job_t *job) {
  if ((job->service = string_property(env, options, "service", MAX_NAME)) == NULL) return false;
  if ((job->user = string_property(env, options, "user", MAX_NAME)) == NULL) return false;
  if ((job->remote_host = string_property(env, options, "remoteHost", MAX_NAME)) == NULL) return false;
  uint32_t count;
  napi_value answers = array_property(env, options, "answers", MAX_ANSWERS, &count);
  if (answers == NULL) return false;
  for (uint32_t i = 0; i < count; i++) {
    napi_value entry;
    napi_get_element(env, answers, i, &entry);
    job->answers[i].prompt = string_property(env, entry, "prompt", MAX_TEXT);
    if (job->answers[i].prompt == NULL) return false;
    job->answer_count = i + 1;
    if ((job->answers[i].value = string_property(env, entry, "value", PAM_MAX_RESP_SIZE - 1)) == NULL) return false;
    if (job->answers[i].prompt[0] == '\0') {
      napi_throw_type_error(env, NULL, "an answer's prompt must not be empty");
      return false;
    }
  }
  napi_value steps = array_property(env, options, "steps", MAX_STEPS, &count);
  if (steps == NULL) return false;
  for (uint32_t i = 0; i < count; i++) {
    napi_value entry = NULL;
    napi_get_element(env, steps, i, &entry);
    char *name = copy_string(env, entry, "steps[]", 32);
    if (name == NULL) return false;
    if (strcmp(name, "authenticate") == 0) job->steps[i] = STEP_AUTHENTICATE;
    else if (strcmp(name, "acct_mgmt") == 0) job->steps[i] = STEP_ACCT_MGMT;
    else if (strcmp(name, "chauthtok") == 0) job->steps[i] = STEP_CHAUTHTOK;
    else {
      free(name);
      napi_throw_type_error(env, NULL, "steps: expected 'authenticate', 'acct_mgmt' or 'chauthtok'");
      return false;
    }
    free(name);
    job->step_count = i + 1;
  }
  if (job->step_count == 0) {
    napi_throw_type_error(env, NULL, "steps must not be empty");
    return false;
  }
  return true;
}

static napi_value transaction(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value options;
  napi_get_cb_info(env, info, &argc, &options, NULL, NULL);
  napi_valuetype type = napi_undefined;
  if (argc < 1 || napi_typeof(env, options, &type) != napi_ok || type != napi_object) {
    napi_throw_type_error(env, NULL, "expected an options object");
    return NULL;
  }
  job_t *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  if (!read_job(env, options, job)) {
    free_job(job);
    return NULL;
  }
  napi_value promise;
  napi_value name = string_value(env, "pam transaction");
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok
      || napi_create_async_work(env, NULL, name, execute, complete, job, &job->work) != napi_ok
      || napi_queue_async_work(env, job->work) != napi_ok) {
    free_job(job);
    napi_throw_error(env, NULL, "cannot queue the PAM transaction");
    return NULL;
  }
  return promise;
}

NAPI_MODULE_INIT() {
  napi_value function;
  napi_create_function(env, "transaction", NAPI_AUTO_LENGTH, transaction, NULL, &function);
  napi_set_named_property(env, exports, "transaction", function);
  return exports;
}

{
  "targets": [
    {
      "target_name": "pam_binding",
      "sources": ["pam_binding.c"],
      "libraries": ["-lpam"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"]
    }
  ]
}

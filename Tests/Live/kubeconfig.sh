#!/bin/sh
# Prints a kubeconfig for the recorded server on 127.0.0.1:$1 (plain HTTP, no credentials).
cat <<YAML
apiVersion: v1
kind: Config
clusters:
- name: recorded
  cluster:
    server: http://127.0.0.1:$1
contexts:
- name: recorded
  context:
    cluster: recorded
    user: nobody
current-context: recorded
users:
- name: nobody
  user: {}
YAML

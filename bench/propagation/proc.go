package main

import apierrors "k8s.io/apimachinery/pkg/api/errors"

func isNamespaceMissing(err error) bool { return apierrors.IsNotFound(err) }

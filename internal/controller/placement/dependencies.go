package placement

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// Dependencies are the objects a pod template refers to by name, which must exist beside it.
type Dependencies struct {
	ConfigMaps      []string
	Secrets         []string
	ServiceAccounts []string
}

// DependenciesOf lists the ConfigMaps, Secrets and ServiceAccount a pod spec refers to,
// sorted and without duplicates. Optional references count too: they change what runs.
func DependenciesOf(spec *corev1.PodSpec) Dependencies {
	var d Dependencies
	addEnv := func(c corev1.Container) {
		for _, from := range c.EnvFrom {
			if from.ConfigMapRef != nil {
				d.ConfigMaps = append(d.ConfigMaps, from.ConfigMapRef.Name)
			}
			if from.SecretRef != nil {
				d.Secrets = append(d.Secrets, from.SecretRef.Name)
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				continue
			}
			if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
				d.ConfigMaps = append(d.ConfigMaps, r.Name)
			}
			if r := e.ValueFrom.SecretKeyRef; r != nil {
				d.Secrets = append(d.Secrets, r.Name)
			}
		}
	}
	for _, c := range spec.InitContainers {
		addEnv(c)
	}
	for _, c := range spec.Containers {
		addEnv(c)
	}
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil {
			d.ConfigMaps = append(d.ConfigMaps, v.ConfigMap.Name)
		}
		if v.Secret != nil {
			d.Secrets = append(d.Secrets, v.Secret.SecretName)
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.ConfigMap != nil {
					d.ConfigMaps = append(d.ConfigMaps, src.ConfigMap.Name)
				}
				if src.Secret != nil {
					d.Secrets = append(d.Secrets, src.Secret.Name)
				}
			}
		}
	}
	for _, s := range spec.ImagePullSecrets {
		d.Secrets = append(d.Secrets, s.Name)
	}
	if sa := spec.ServiceAccountName; sa != "" && sa != "default" {
		d.ServiceAccounts = append(d.ServiceAccounts, sa)
	}
	d.ConfigMaps, d.Secrets = uniq(d.ConfigMaps), uniq(d.Secrets)
	return d
}

func uniq(names []string) []string {
	names = slices.DeleteFunc(names, func(s string) bool { return s == "" })
	slices.Sort(names)
	return slices.Compact(names)
}

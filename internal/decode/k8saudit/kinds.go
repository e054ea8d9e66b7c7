package k8saudit

// resourceKind is a built-in resource's API group and its Resource.Type.
type resourceKind struct{ group, typ string }

// kinds maps the built-in resources (as objectRef.resource names them) to
// their kinds. A resource of another API group (a custom resource with the
// same name) is not matched; an objectRef without apiGroup is.
var kinds = func() map[string]resourceKind {
	m := map[string]resourceKind{}
	add := func(group string, pairs ...string) {
		for i := 0; i+1 < len(pairs); i += 2 {
			m[pairs[i]] = resourceKind{group, "Kubernetes" + pairs[i+1]}
		}
	}
	add("",
		"pods", "Pod", "services", "Service", "secrets", "Secret", "configmaps", "ConfigMap",
		"serviceaccounts", "ServiceAccount", "namespaces", "Namespace", "nodes", "Node",
		"persistentvolumes", "PersistentVolume", "persistentvolumeclaims", "PersistentVolumeClaim",
		"endpoints", "Endpoints", "events", "Event", "replicationcontrollers", "ReplicationController",
		"limitranges", "LimitRange", "resourcequotas", "ResourceQuota", "podtemplates", "PodTemplate",
		"bindings", "Binding", "componentstatuses", "ComponentStatus")
	add("apps", "deployments", "Deployment", "daemonsets", "DaemonSet", "statefulsets", "StatefulSet",
		"replicasets", "ReplicaSet", "controllerrevisions", "ControllerRevision")
	add("batch", "jobs", "Job", "cronjobs", "CronJob")
	add("rbac.authorization.k8s.io", "roles", "Role", "rolebindings", "RoleBinding",
		"clusterroles", "ClusterRole", "clusterrolebindings", "ClusterRoleBinding")
	add("networking.k8s.io", "ingresses", "Ingress", "ingressclasses", "IngressClass", "networkpolicies", "NetworkPolicy")
	add("policy", "poddisruptionbudgets", "PodDisruptionBudget", "podsecuritypolicies", "PodSecurityPolicy")
	add("admissionregistration.k8s.io",
		"mutatingwebhookconfigurations", "MutatingWebhookConfiguration",
		"validatingwebhookconfigurations", "ValidatingWebhookConfiguration",
		"validatingadmissionpolicies", "ValidatingAdmissionPolicy",
		"validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding")
	add("certificates.k8s.io", "certificatesigningrequests", "CertificateSigningRequest")
	add("authentication.k8s.io", "tokenreviews", "TokenReview", "selfsubjectreviews", "SelfSubjectReview")
	add("authorization.k8s.io", "subjectaccessreviews", "SubjectAccessReview",
		"selfsubjectaccessreviews", "SelfSubjectAccessReview", "selfsubjectrulesreviews", "SelfSubjectRulesReview",
		"localsubjectaccessreviews", "LocalSubjectAccessReview")
	add("coordination.k8s.io", "leases", "Lease")
	add("storage.k8s.io", "storageclasses", "StorageClass", "csidrivers", "CSIDriver", "csinodes", "CSINode",
		"volumeattachments", "VolumeAttachment")
	add("apiextensions.k8s.io", "customresourcedefinitions", "CustomResourceDefinition")
	add("apiregistration.k8s.io", "apiservices", "APIService")
	add("autoscaling", "horizontalpodautoscalers", "HorizontalPodAutoscaler")
	add("discovery.k8s.io", "endpointslices", "EndpointSlice")
	add("scheduling.k8s.io", "priorityclasses", "PriorityClass")
	add("node.k8s.io", "runtimeclasses", "RuntimeClass")
	add("flowcontrol.apiserver.k8s.io", "flowschemas", "FlowSchema", "prioritylevelconfigurations", "PriorityLevelConfiguration")
	return m
}()

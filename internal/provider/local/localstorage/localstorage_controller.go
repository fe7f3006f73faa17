package localstorage

import (
	"context"
	"errors"
	"fmt"
	"path"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	n6sv1alpha1 "github.com/navarkos/navarkos/api/v1alpha1"
	"github.com/navarkos/navarkos/internal/member"
)

const (
	// StorageClassName is the default StorageClass of every local member cluster.
	StorageClassName = "navarkos-local"
	// Provisioner names this provisioner in the StorageClass and on the volumes it makes.
	Provisioner = "n6s.io/local"
	// provisionedBy is the annotation the PersistentVolume controller reads to know who deletes a volume.
	provisionedBy = "pv.kubernetes.io/provisioned-by"
	// resync looks at a Ready local cluster again now and then. Its StorageClasses, claims
	// and volumes are watched, so this is a safety net.
	resync = 10 * time.Minute
	// follower names this controller's watches of members.
	follower = "localstorage"
)

// Reconciler provisions volumes in the Ready clusters of the local provider.
type Reconciler struct {
	// Client reads Clusters in the fleet API.
	Client client.Client
	// Members gives clients of the member clusters.
	Members *member.Clients

	changes *member.Changes
}

// SetupWithManager runs the reconciler on Clusters.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil || r.Members == nil {
		return errors.New("localstorage reconciler needs a Client and Members")
	}
	var err error
	if r.changes, err = member.NewChanges(mgr); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).For(&n6sv1alpha1.Cluster{}).WatchesRawSource(r.changes.Source()).Named("localstorage").Complete(r)
}

// Reconcile makes sure the cluster has the StorageClass, gives pending claims a volume and
// deletes the released volumes it made.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	c := &n6sv1alpha1.Cluster{}
	if err := r.Client.Get(ctx, req.NamespacedName, c); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if c.Labels[n6sv1alpha1.ProviderLabel] != string(n6sv1alpha1.ProviderLocal) || !c.DeletionTimestamp.IsZero() ||
		!meta.IsStatusConditionTrue(c.Status.Conditions, n6sv1alpha1.ClusterReadyCondition) {
		return ctrl.Result{}, nil
	}
	mc, err := r.Members.ForCluster(ctx, c)
	if err != nil {
		return ctrl.Result{}, err
	}
	var readers [3]client.Reader
	for i, kind := range []client.Object{&storagev1.StorageClass{}, &corev1.PersistentVolumeClaim{}, &corev1.PersistentVolume{}} {
		if readers[i], err = mc.Follow(ctx, kind, follower, func() { r.changes.Notify(c.Name) }); err != nil {
			return ctrl.Result{}, err
		}
	}
	if err := ensureStorageClass(ctx, readers[0], mc); err != nil {
		return ctrl.Result{}, fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	if err := provision(ctx, readers[1], mc); err != nil {
		return ctrl.Result{}, fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	if err := reclaim(ctx, readers[2], mc); err != nil {
		return ctrl.Result{}, fmt.Errorf("cluster %s: %w", c.Name, err)
	}
	return ctrl.Result{RequeueAfter: resync}, nil
}

// ensureStorageClass makes the default StorageClass unless src shows it.
func ensureStorageClass(ctx context.Context, src client.Reader, mc client.Client) error {
	sc := &storagev1.StorageClass{}
	err := src.Get(ctx, client.ObjectKey{Name: StorageClassName}, sc)
	if err == nil || !apierrors.IsNotFound(err) {
		return err
	}
	sc = &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{
			Name:        StorageClassName,
			Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"},
		},
		Provisioner:       Provisioner,
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingImmediate),
	}
	if err := mc.Create(ctx, sc); client.IgnoreAlreadyExists(err) != nil {
		return fmt.Errorf("failed to create StorageClass %s: %w", StorageClassName, err)
	}
	return nil
}

// provision makes a volume for each pending claim of the class, read from src, that has none.
func provision(ctx context.Context, src client.Reader, mc client.Client) error {
	claims := &corev1.PersistentVolumeClaimList{}
	if err := src.List(ctx, claims); err != nil {
		return fmt.Errorf("failed to list PersistentVolumeClaims: %w", err)
	}
	for i := range claims.Items {
		pvc := &claims.Items[i]
		if pvc.Status.Phase != corev1.ClaimPending || pvc.Spec.VolumeName != "" ||
			ptr.Deref(pvc.Spec.StorageClassName, "") != StorageClassName || !pvc.DeletionTimestamp.IsZero() {
			continue
		}
		if err := mc.Create(ctx, volumeFor(pvc)); client.IgnoreAlreadyExists(err) != nil {
			return fmt.Errorf("failed to provision a volume for claim %s/%s: %w", pvc.Namespace, pvc.Name, err)
		}
	}
	return nil
}

// volumeFor is the volume of a claim, bound to it in advance.
func volumeFor(pvc *corev1.PersistentVolumeClaim) *corev1.PersistentVolume {
	mode := corev1.PersistentVolumeFilesystem
	if pvc.Spec.VolumeMode != nil {
		mode = *pvc.Spec.VolumeMode
	}
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "pvc-" + string(pvc.UID),
			Annotations: map[string]string{provisionedBy: Provisioner},
		},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: pvc.Spec.Resources.Requests[corev1.ResourceStorage]},
			AccessModes:                   pvc.Spec.AccessModes,
			VolumeMode:                    &mode,
			StorageClassName:              StorageClassName,
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			ClaimRef: &corev1.ObjectReference{
				APIVersion: "v1", Kind: "PersistentVolumeClaim",
				Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID,
			},
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				HostPath: &corev1.HostPathVolumeSource{
					Path: path.Join("/var/lib/navarkos-local", pvc.Namespace, pvc.Name),
					Type: ptr.To(corev1.HostPathDirectoryOrCreate),
				},
			},
		},
	}
}

// reclaim deletes the released volumes, read from src, that this provisioner made.
func reclaim(ctx context.Context, src client.Reader, mc client.Client) error {
	volumes := &corev1.PersistentVolumeList{}
	if err := src.List(ctx, volumes); err != nil {
		return fmt.Errorf("failed to list PersistentVolumes: %w", err)
	}
	for i := range volumes.Items {
		pv := &volumes.Items[i]
		if pv.Annotations[provisionedBy] != Provisioner || pv.Status.Phase != corev1.VolumeReleased ||
			pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
			continue
		}
		if err := mc.Delete(ctx, pv); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("failed to delete released volume %s: %w", pv.Name, err)
		}
	}
	return nil
}

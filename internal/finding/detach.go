package finding

import (
	"reflect"
	"strings"
)

// Detach makes f own all its memory: every string is copied, and every
// pointer, slice and map is duplicated. Detectors build findings from
// events whose strings borrow a decoder's buffer (see package event); a
// detector that forgets a copy would otherwise store text that the next
// record overwrites. The pipeline detaches every finding it keeps, so that
// mistake cannot reach the store. It walks the value with reflection:
// findings are rare next to events, and this stays right as the schema
// grows.
func (f *Finding) Detach() {
	detach(reflect.ValueOf(f).Elem())
}

func detach(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() && v.Len() > 0 {
			v.SetString(strings.Clone(v.String()))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				detach(f)
			}
		}
	case reflect.Pointer:
		if v.IsNil() || !v.CanSet() {
			return
		}
		n := reflect.New(v.Elem().Type())
		n.Elem().Set(v.Elem())
		detach(n.Elem())
		v.Set(n)
	case reflect.Slice:
		if v.IsNil() || !v.CanSet() {
			return
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(n, v)
		for i := 0; i < n.Len(); i++ {
			detach(n.Index(i))
		}
		v.Set(n)
	case reflect.Map:
		if v.IsNil() || !v.CanSet() {
			return
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		it := v.MapRange()
		for it.Next() {
			k := reflect.New(v.Type().Key()).Elem()
			k.Set(it.Key())
			detach(k)
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(it.Value())
			detach(e)
			n.SetMapIndex(k, e)
		}
		v.Set(n)
	case reflect.Interface:
		if v.IsNil() || !v.CanSet() {
			return
		}
		// A value inside an interface cannot be changed in place: copy it.
		e := reflect.New(v.Elem().Type()).Elem()
		e.Set(v.Elem())
		detach(e)
		v.Set(e)
	}
}
